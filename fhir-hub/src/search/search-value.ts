/**
 * FHIR search value syntax: ',' separates alternatives (OR), '|' separates a token's system and
 * code (or a quantity's number, system and code), and a backslash escapes ',', '|', '$' and '\'.
 * Core's splitSearchOnComma drops every escape while splitting, which would turn "a\|b" into a
 * system and a code; these functions keep escapes until the last split.
 */

/** Splits on unescaped commas; escapes are kept for the next split. Empty alternatives are dropped. */
export function splitOrValues(value: string): string[] {
  return splitUnescaped(value, ',').filter((part) => part !== '');
}

/** Splits on unescaped '|' and unescapes each part. */
export function splitPipes(value: string): string[] {
  return splitUnescaped(value, '|').map(unescapeSearchValue);
}

/** Removes search escapes: "\," → ",", "\|" → "|", "\$" → "$", "\\" → "\". */
export function unescapeSearchValue(value: string): string {
  return value.replace(/\\([\\,|$])/g, '$1');
}

function splitUnescaped(value: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && i + 1 < value.length) {
      current += ch + value[i + 1];
      i++;
    } else if (ch === separator) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/** Splits a composite value on unescaped '$'; escapes are kept for the component's own parsing. */
export function splitComposite(value: string): string[] {
  return splitUnescaped(value, '$');
}
