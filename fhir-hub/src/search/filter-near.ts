/**
 * Location?near=lat|lng|distance|unit (FHIR R4 special parameter): positions within the distance of
 * the point, on a sphere (haversine). A bounding box on (lat, lng) lets the index narrow the rows
 * first; no PostGIS is needed. Units: km (default), m, [mi_i] (mi accepted); without a distance,
 * 10 km. `_sort=near` orders by that distance.
 */
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { FilterContext } from './filter-context.ts';
import { indexRowExists } from './filter-context.ts';
import type { QueryParams } from './query-params.ts';
import { splitOrValues, splitPipes } from './search-value.ts';

const EARTH_RADIUS_KM = 6371.0088;
const KM_PER_DEGREE_LAT = 111.32;
const DEFAULT_DISTANCE_KM = 10;
const UNIT_KM: Record<string, number> = { km: 1, m: 0.001, '[mi_i]': 1.609344, mi: 1.609344 };

export interface NearPoint {
  lat: number;
  lng: number;
  distanceKm: number;
}

/** Parses one `near` value; throws a 400 OperationOutcome naming the expected form. */
export function parseNear(value: string): NearPoint {
  const [lat, lng, distance, unit = 'km'] = splitPipes(value);
  const la = Number(lat);
  const ln = Number(lng);
  const factor = UNIT_KM[unit || 'km'];
  const d = distance ? Number(distance) : DEFAULT_DISTANCE_KM;
  const validPoint = !!lat && !!lng && Number.isFinite(la) && Number.isFinite(ln) && Math.abs(la) <= 90 && Math.abs(ln) <= 180;
  if (!validPoint || factor === undefined || !Number.isFinite(d) || d < 0) {
    throw new OperationOutcomeError(
      badRequest(
        `Invalid value for special parameter near: "${value}" (expected latitude|longitude|distance|unit, e.g. -6.2|106.8|5|km; units km, m or [mi_i])`,
        'near',
      ),
    );
  }
  return { lat: la, lng: ln, distanceKm: distance ? d * factor : d };
}

export function nearFilter(ctx: FilterContext): string | undefined {
  const points = splitOrValues(ctx.value).map((alt) => parseNear(alt));
  if (points.length === 0) {
    return undefined;
  }
  return indexRowExists(ctx, 'sp_position', points.map((p) => withinDistance(ctx.params, p)).join(' OR '));
}

/** Distance in km from sp_position row `x` to the point. */
export function distanceKm(params: QueryParams, point: NearPoint, alias = 'x'): string {
  const lat = `${params.add(point.lat)}::float8`;
  const lng = `${params.add(point.lng)}::float8`;
  return (
    `(2 * ${EARTH_RADIUS_KM} * asin(least(1, sqrt(power(sin(radians(${alias}.lat - ${lat}) / 2), 2)` +
    ` + cos(radians(${lat})) * cos(radians(${alias}.lat)) * power(sin(radians(${alias}.lng - ${lng}) / 2), 2)))))`
  );
}

function withinDistance(params: QueryParams, point: NearPoint): string {
  const dLat = point.distanceKm / KM_PER_DEGREE_LAT;
  const parts = [`x.lat BETWEEN ${params.add(point.lat - dLat)}::float8 AND ${params.add(point.lat + dLat)}::float8`];
  const cosLat = Math.cos(((Math.abs(point.lat) + dLat) * Math.PI) / 180);
  if (Math.abs(point.lat) + dLat < 89 && cosLat > 0) {
    const dLng = point.distanceKm / (KM_PER_DEGREE_LAT * cosLat);
    if (point.lng - dLng >= -180 && point.lng + dLng <= 180) {
      parts.push(`x.lng BETWEEN ${params.add(point.lng - dLng)}::float8 AND ${params.add(point.lng + dLng)}::float8`);
    }
  }
  parts.push(`${distanceKm(params, point)} <= ${params.add(point.distanceKm)}::float8`);
  return `(${parts.join(' AND ')})`;
}
