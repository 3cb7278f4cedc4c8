/** A DICOM UID as a path segment: digits and dots, no empty component, at most 64 characters (PS3.5 9.1). */
export function isDicomUid(value: string): boolean {
  return value.length > 0 && value.length <= 64 && /^[0-9]+(\.[0-9]+)*$/.test(value);
}
