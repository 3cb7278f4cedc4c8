/**
 * UCUM units to canonical form, so that quantity search compares 5.4 mg/dL with 54 mg/L.
 * Covers the multiplicative part of UCUM that clinical data uses: the SI prefixes, base and derived
 * metric units, time, common customary units, mm[Hg], %, [iU], mol and eq, 10*n / 10^n factors,
 * annotations ({beats}), products ('.'), quotients ('/'), exponents and parentheses.
 * Units with an offset (Cel, [degF]) or on a log scale ([pH]) have no canonical factor and are
 * compared by their code only. No UCUM library is published that fits (the hub's dependencies are
 * fixed): this is a small table and a recursive-descent parser of the UCUM grammar.
 */

export const UCUM_SYSTEM = 'http://unitsofmeasure.org';

/** A unit as factor × product of base dimensions with integer exponents. */
interface Dimensioned {
  factor: number;
  dims: Map<string, number>;
}

export interface CanonicalQuantity {
  value: number;
  /** Canonical dimension string, e.g. "g.m-3"; "1" for dimensionless. */
  unit: string;
}

const PREFIXES: Record<string, number> = {
  Y: 1e24, Z: 1e21, E: 1e18, P: 1e15, T: 1e12, G: 1e9, M: 1e6, k: 1e3, h: 1e2, da: 1e1,
  d: 1e-1, c: 1e-2, m: 1e-3, u: 1e-6, n: 1e-9, p: 1e-12, f: 1e-15, a: 1e-18, z: 1e-21, y: 1e-24,
};

// atom → [factor, definition in base dims]; metric atoms (prefixes allowed) are marked.
const ATOMS: Record<string, { factor: number; dims: Record<string, number>; metric: boolean }> = {};
function atom(code: string, factor: number, dims: Record<string, number>, metric = true): void {
  ATOMS[code] = { factor, dims, metric };
}
atom('m', 1, { m: 1 });
atom('s', 1, { s: 1 });
atom('g', 1, { g: 1 });
atom('rad', 1, { rad: 1 });
atom('K', 1, { K: 1 });
atom('C', 1, { C: 1 });
atom('cd', 1, { cd: 1 });
atom('mol', 1, { mol: 1 });
atom('eq', 1, { mol: 1 });
atom('osm', 1, { mol: 1 });
atom('[iU]', 1, { iU: 1 });
atom('[IU]', 1, { iU: 1 });
atom('U', 1e-6 / 60, { mol: 1, s: -1 });
atom('kat', 1, { mol: 1, s: -1 });
atom('L', 1e-3, { m: 3 });
atom('l', 1e-3, { m: 3 });
atom('Hz', 1, { s: -1 });
atom('N', 1e3, { g: 1, m: 1, s: -2 });
atom('Pa', 1e3, { g: 1, m: -1, s: -2 });
atom('J', 1e3, { g: 1, m: 2, s: -2 });
atom('W', 1e3, { g: 1, m: 2, s: -3 });
atom('A', 1, { C: 1, s: -1 });
atom('V', 1e3, { g: 1, m: 2, s: -2, C: -1 });
atom('bar', 1e8, { g: 1, m: -1, s: -2 });
atom('t', 1e6, { g: 1 });
atom('min', 60, { s: 1 }, false);
atom('h', 3600, { s: 1 }, false);
atom('d', 86400, { s: 1 }, false);
atom('wk', 604800, { s: 1 }, false);
atom('mo', 2629800, { s: 1 }, false);
atom('a', 31557600, { s: 1 }, false);
atom('%', 1e-2, {}, false);
atom('[ppth]', 1e-3, {}, false);
atom('[ppm]', 1e-6, {}, false);
atom('[ppb]', 1e-9, {}, false);
atom('mm[Hg]', 133322.387415, { g: 1, m: -1, s: -2 }, false);
atom('cm[H2O]', 98066.5, { g: 1, m: -1, s: -2 }, false);
atom('atm', 101325000, { g: 1, m: -1, s: -2 }, false);
atom('[in_i]', 0.0254, { m: 1 }, false);
atom('[ft_i]', 0.3048, { m: 1 }, false);
atom('[yd_i]', 0.9144, { m: 1 }, false);
atom('[mi_i]', 1609.344, { m: 1 }, false);
atom('[lb_av]', 453.59237, { g: 1 }, false);
atom('[oz_av]', 28.349523125, { g: 1 }, false);
atom('[gal_us]', 3.785411784e-3, { m: 3 }, false);
atom('[foz_us]', 2.95735295625e-5, { m: 3 }, false);
atom('cal', 4184, { g: 1, m: 2, s: -2 });
atom('[Cal]', 4184000, { g: 1, m: 2, s: -2 }, false);
atom('deg', Math.PI / 180, { rad: 1 }, false);

const cache = new Map<string, Dimensioned | null>();

/** The canonical form of value + UCUM code, or undefined when the code is not understood. */
export function canonicalQuantity(value: number, code: string): CanonicalQuantity | undefined {
  const unit = canonicalUnit(code);
  if (!unit) {
    return undefined;
  }
  return { value: value * unit.factor, unit: unit.name };
}

/** Factor and canonical name of a UCUM code, or undefined. */
export function canonicalUnit(code: string): { factor: number; name: string } | undefined {
  let parsed = cache.get(code);
  if (parsed === undefined) {
    parsed = parseUnit(code) ?? null;
    if (cache.size < 10_000) cache.set(code, parsed);
  }
  if (!parsed) {
    return undefined;
  }
  return { factor: parsed.factor, name: dimensionName(parsed.dims) };
}

function dimensionName(dims: Map<string, number>): string {
  const parts = [...dims.entries()]
    .filter(([, exp]) => exp !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([dim, exp]) => (exp === 1 ? dim : `${dim}${exp}`));
  return parts.length === 0 ? '1' : parts.join('.');
}

function parseUnit(code: string): Dimensioned | undefined {
  if (!code || code.length > 100 || /\s/.test(code)) {
    return undefined;
  }
  const parser = new UnitParser(code);
  try {
    const result = parser.term();
    return parser.done() ? result : undefined;
  } catch {
    // Not UCUM we understand: the caller compares the code as given.
    return undefined;
  }
}

class UnitParser {
  private pos = 0;
  private readonly input: string;

  constructor(input: string) {
    this.input = input;
  }

  done(): boolean {
    return this.pos === this.input.length;
  }

  /** term := '/' component | component (('.' | '/') component)* */
  term(): Dimensioned {
    let result: Dimensioned;
    if (this.peek() === '/') {
      this.pos++;
      result = invert(this.component());
    } else {
      result = this.component();
    }
    while (this.peek() === '.' || this.peek() === '/') {
      const op = this.input[this.pos++];
      const next = this.component();
      result = multiply(result, op === '/' ? invert(next) : next);
    }
    return result;
  }

  private component(): Dimensioned {
    if (this.peek() === '(') {
      this.pos++;
      const inner = this.term();
      if (this.peek() !== ')') throw new Error('unbalanced parenthesis');
      this.pos++;
      return inner;
    }
    if (this.peek() === '{') {
      this.annotation();
      return { factor: 1, dims: new Map() };
    }
    const unit = this.annotatable();
    if (this.peek() === '{') {
      this.annotation();
    }
    return unit;
  }

  private annotation(): void {
    const end = this.input.indexOf('}', this.pos);
    if (end < 0) throw new Error('unterminated annotation');
    this.pos = end + 1;
  }

  /** A simple unit with an optional signed integer exponent, or a number (10*3, 10^3, 1000). */
  private annotatable(): Dimensioned {
    const start = this.pos;
    while (this.pos < this.input.length && !'./(){}'.includes(this.input[this.pos])) {
      this.pos++;
    }
    const text = this.input.slice(start, this.pos);
    if (!text) throw new Error('empty unit');
    const tenPower = /^10[*^]([+-]?\d+)$/.exec(text);
    if (tenPower) {
      return { factor: 10 ** Number(tenPower[1]), dims: new Map() };
    }
    if (/^\d+$/.test(text)) {
      return { factor: Number(text), dims: new Map() };
    }
    const m = /^(.*?)([+-]?\d+)?$/.exec(text) as RegExpExecArray;
    const base = simpleUnit(m[1]);
    if (!base) throw new Error(`unknown unit ${m[1]}`);
    return m[2] ? raisePower(base, Number(m[2])) : base;
  }

  private peek(): string | undefined {
    return this.input[this.pos];
  }
}

function simpleUnit(text: string): Dimensioned | undefined {
  const direct = ATOMS[text];
  if (direct) {
    return fromAtom(direct, 1);
  }
  for (const prefix of Object.keys(PREFIXES)) {
    if (text.startsWith(prefix)) {
      const a = ATOMS[text.slice(prefix.length)];
      if (a?.metric) {
        return fromAtom(a, PREFIXES[prefix]);
      }
    }
  }
  return undefined;
}

function fromAtom(a: { factor: number; dims: Record<string, number> }, prefix: number): Dimensioned {
  return { factor: a.factor * prefix, dims: new Map(Object.entries(a.dims)) };
}

function multiply(a: Dimensioned, b: Dimensioned): Dimensioned {
  const dims = new Map(a.dims);
  for (const [dim, exp] of b.dims) {
    dims.set(dim, (dims.get(dim) ?? 0) + exp);
  }
  return { factor: a.factor * b.factor, dims };
}

function invert(a: Dimensioned): Dimensioned {
  return raisePower(a, -1);
}

function raisePower(a: Dimensioned, exp: number): Dimensioned {
  const dims = new Map<string, number>();
  for (const [dim, e] of a.dims) {
    dims.set(dim, e * exp);
  }
  return { factor: a.factor ** exp, dims };
}
