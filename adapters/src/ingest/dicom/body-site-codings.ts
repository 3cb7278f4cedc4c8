import type { Coding } from '@medplum/fhirtypes';
import { SNOMED_SYSTEM } from './dicom-codings.ts';

/**
 * Body Part Examined (0018,0015) defined terms (PS3.16 Annex L) and a few common spellings → the SNOMED CT
 * codes of CID 4031 Common Anatomic Regions (2025 edition). Spaces, "_" and "-" are ignored when looking a
 * term up. Terms not listed keep their text as the coding's display.
 */
const BODY_PARTS: Readonly<Record<string, readonly [code: string, meaning: string]>> = {
  ABDOMEN: ['818981001', 'Abdomen'],
  ABDOMENPELVIS: ['818982008', 'Abdomen and Pelvis'],
  ACJOINT: ['85856004', 'Acromioclavicular joint'],
  ANKLE: ['70258002', 'Ankle joint'],
  BLADDER: ['89837001', 'Bladder'],
  BREAST: ['76752008', 'Breast'],
  CALCANEUS: ['80144004', 'Calcaneus'],
  CHEST: ['816094009', 'Chest'],
  CHESTABDOMEN: ['416550000', 'Chest and Abdomen'],
  CHESTABDPELVIS: ['416775004', 'Chest, Abdomen and Pelvis'],
  CLAVICLE: ['51299004', 'Clavicle'],
  COCCYX: ['64688005', 'Coccyx'],
  COLON: ['71854001', 'Colon'],
  CSPINE: ['122494005', 'Cervical spine'],
  DUODENUM: ['38848004', 'Duodenum'],
  ELBOW: ['16953009', 'Elbow joint'],
  ESOPHAGUS: ['32849002', 'Esophagus'],
  EXTREMITY: ['66019005', 'Extremity'],
  EYE: ['81745001', 'Eye'],
  FEMUR: ['71341001', 'Femur'],
  FINGER: ['7569003', 'Finger'],
  FOOT: ['56459004', 'Foot'],
  FOREARM: ['14975008', 'Forearm'],
  GALLBLADDER: ['28231008', 'Gallbladder'],
  HAND: ['85562004', 'Hand'],
  HEAD: ['69536005', 'Head'],
  HEADNECK: ['774007', 'Head and Neck'],
  HEART: ['80891009', 'Heart'],
  HIP: ['29836001', 'Hip'],
  HUMERUS: ['85050009', 'Humerus'],
  JAW: ['661005', 'Jaw region'],
  KNEE: ['72696002', 'Knee'],
  LARYNX: ['4596009', 'Larynx'],
  LEG: ['30021000', 'Lower leg'],
  LOWERLIMB: ['61685007', 'Lower limb'],
  LSPINE: ['122496007', 'Lumbar spine'],
  MANDIBLE: ['91609006', 'Mandible'],
  MEDIASTINUM: ['72410000', 'Mediastinum'],
  NECK: ['45048000', 'Neck'],
  ORBIT: ['363654007', 'Orbital structure'],
  PANCREAS: ['15776009', 'Pancreas'],
  PATELLA: ['64234005', 'Patella'],
  PELVIS: ['816092008', 'Pelvis'],
  PROSTATE: ['41216001', 'Prostate'],
  RECTUM: ['34402009', 'Rectum'],
  RIB: ['113197003', 'Rib'],
  SACRUM: ['54735007', 'Sacrum'],
  SCAPULA: ['79601000', 'Scapula'],
  SHOULDER: ['16982005', 'Shoulder'],
  SINUS: ['2095001', 'Paranasal sinus'],
  SKULL: ['89546000', 'Skull'],
  SPINE: ['421060004', 'Spine'],
  STERNUM: ['56873002', 'Sternum'],
  STOMACH: ['69695003', 'Stomach'],
  THIGH: ['68367000', 'Thigh'],
  TMJ: ['53620006', 'Temporomandibular joint'],
  TOE: ['29707007', 'Toe'],
  TSPINE: ['122495006', 'Thoracic spine'],
  UPPERLIMB: ['53120007', 'Upper limb'],
  WHOLEBODY: ['38266002', 'Entire body'],
  WRIST: ['74670003', 'Wrist joint'],
  ZYGOMA: ['13881006', 'Zygoma'],
};

/** ImagingStudy.series.bodySite for a Body Part Examined value; undefined when there is none. */
export function bodySiteCoding(bodyPartExamined: string | undefined): Coding | undefined {
  const term = bodyPartExamined?.trim().toUpperCase();
  if (!term) {
    return undefined;
  }
  const known = BODY_PARTS[term.replace(/[\s_-]+/g, '')];
  return known ? { system: SNOMED_SYSTEM, code: known[0], display: known[1] } : { display: term };
}
