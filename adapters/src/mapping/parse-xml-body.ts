import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** Why an XML body was refused (the webhook answers 400 with it). */
export class XmlBodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlBodyError';
  }
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  // Values stay text: "007" must not become 7, "1e3" must not become 1000.
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Only the five predefined entities and character references; a DOCTYPE (the only place new ones
  // could be declared) is refused before parsing, so no entity is ever expanded from the document.
  processEntities: true,
  htmlEntities: false,
});

/**
 * An XML body as a JSON object for the mapping template: elements become keys, repeated elements
 * arrays, attributes `@name`, text `#text` beside attributes. Refuses DOCTYPE/ENTITY declarations
 * (entity expansion, external entities: XXE and billion laughs) and bodies that are not well formed.
 */
export function parseXmlBody(text: string): Record<string, unknown> {
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new XmlBodyError('XML with a DOCTYPE or ENTITY declaration is refused (entity expansion is off)');
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new XmlBodyError(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  }
  const parsed = parser.parse(text) as unknown;
  if (parsed === null || typeof parsed !== 'object' || Object.keys(parsed).length === 0) throw new XmlBodyError('the XML body has no root element');
  return parsed as Record<string, unknown>;
}
