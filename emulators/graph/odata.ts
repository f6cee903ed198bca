import { badRequest } from './errors';
import type { AssignedLicense } from './types';

/**
 * A small OData `$filter` compiler for the user queries Graph supports on the properties license-shift reads:
 * `eq`/`ne` on scalars (incl. `null`), `in (...)`, `startsWith(p,'x')`, `and`/`or`/`not`, parentheses,
 * `assignedLicenses/any(x:x/skuId eq GUID)` and `assignedLicenses/$count eq|ne N`.
 */

/** What a filter sees of a user: scalar properties plus the (possibly lagged) license list. */
export interface FilterSubject {
  readonly [property: string]: unknown;
}

export type Predicate = (subject: FilterSubject, licenses: readonly AssignedLicense[]) => boolean;

export interface CompiledFilter {
  predicate: Predicate;
  /** A SKU every match must hold (top-level conjunct): lets the caller start from the SKU's holder index. */
  requiredSkuId?: string;
  /** Exact ids/UPNs every match must have (top-level conjunct `id in (...)`, `userPrincipalName eq ...`). */
  keyProperty?: 'id' | 'userPrincipalName';
  keyValues?: string[];
  /** Uses an advanced-query construct (needs `ConsistencyLevel: eventual` + `$count`): `ne`, `not`, `$count`. */
  advanced: boolean;
}

type Token = { t: 'word'; v: string } | { t: 'string'; v: string } | { t: 'punct'; v: '(' | ')' | ',' | ':' };

const invalid = (detail: string): Error => badRequest(`Invalid filter clause: ${detail}`, 'BadRequest');

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '(' || c === ')' || c === ',' || c === ':') {
      tokens.push({ t: 'punct', v: c });
      i++;
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw invalid('unterminated string literal.');
        const ch = text[i] as string;
        if (ch === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += ch;
        i++;
      }
      tokens.push({ t: 'string', v: value });
    } else {
      const m = /^[A-Za-z0-9_./$@#+-]+/.exec(text.slice(i));
      if (!m) throw invalid(`unexpected character '${c}'.`);
      tokens.push({ t: 'word', v: m[0] });
      i += m[0].length;
    }
  }
  return tokens;
}

type Literal = string | number | boolean | null;

interface Node {
  evaluate: Predicate;
  sku?: string;
  key?: { property: 'id' | 'userPrincipalName'; values: string[] };
  isAnd?: Node[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COMPARISONS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

class Parser {
  private pos = 0;
  advanced = false;

  constructor(
    private readonly tokens: Token[],
    private readonly properties: ReadonlySet<string>,
  ) {}

  parse(): Node {
    const node = this.parseOr();
    if (this.pos < this.tokens.length) throw invalid('unexpected trailing tokens.');
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private isWord(value: string): boolean {
    const t = this.peek();
    return t?.t === 'word' && t.v.toLowerCase() === value;
  }

  private expectPunct(value: string): void {
    const t = this.tokens[this.pos++];
    if (t?.t !== 'punct' || t.v !== value) throw invalid(`expected '${value}'.`);
  }

  private parseOr(): Node {
    let left = this.parseAnd();
    while (this.isWord('or')) {
      this.pos++;
      const right = this.parseAnd();
      const l = left;
      left = { evaluate: (u, lic) => l.evaluate(u, lic) || right.evaluate(u, lic) };
    }
    return left;
  }

  private parseAnd(): Node {
    const parts = [this.parseUnary()];
    while (this.isWord('and')) {
      this.pos++;
      parts.push(this.parseUnary());
    }
    if (parts.length === 1) return parts[0] as Node;
    return { evaluate: (u, lic) => parts.every((p) => p.evaluate(u, lic)), isAnd: parts };
  }

  private parseUnary(): Node {
    if (this.isWord('not')) {
      this.pos++;
      this.advanced = true;
      const inner = this.parseUnary();
      return { evaluate: (u, lic) => !inner.evaluate(u, lic) };
    }
    const t = this.peek();
    if (t?.t === 'punct' && t.v === '(') {
      this.pos++;
      const inner = this.parseOr();
      this.expectPunct(')');
      return inner;
    }
    return this.parseComparison();
  }

  private parseComparison(): Node {
    const t = this.tokens[this.pos++];
    if (t?.t !== 'word') throw invalid('expected a property.');
    const name = t.v;
    if (name.toLowerCase() === 'startswith') return this.parseStartsWith();
    if (name === 'assignedLicenses/any') return this.parseAnyLicense();
    if (name === 'assignedLicenses/$count') {
      this.advanced = true;
      const op = this.operator();
      const n = Number(this.literal());
      return { evaluate: (_u, lic) => compare(lic.length, op, n) };
    }
    if (!this.properties.has(name)) {
      throw badRequest(`Could not find a property named '${name}' on type 'microsoft.graph.user'.`, 'BadRequest');
    }
    if (this.isWord('in')) {
      this.pos++;
      const values = this.list();
      const lowered = new Set(values.map((v) => String(v).toLowerCase()));
      const node: Node = {
        evaluate: (u) => lowered.has(String(u[name]).toLowerCase()),
      };
      if (name === 'id' || name === 'userPrincipalName') node.key = { property: name, values: values.map(String) };
      return node;
    }
    const op = this.operator();
    const value = this.literal();
    if (op === 'ne') this.advanced = true;
    const node: Node = { evaluate: (u) => compare(u[name], op, value) };
    if (op === 'eq' && typeof value === 'string' && (name === 'id' || name === 'userPrincipalName')) {
      node.key = { property: name, values: [value] };
    }
    return node;
  }

  private parseStartsWith(): Node {
    this.expectPunct('(');
    const prop = this.tokens[this.pos++];
    if (prop?.t !== 'word' || !this.properties.has(prop.v)) throw invalid('startsWith needs a property.');
    this.expectPunct(',');
    const value = this.literal();
    this.expectPunct(')');
    const prefix = String(value).toLowerCase();
    return { evaluate: (u) => typeof u[prop.v] === 'string' && (u[prop.v] as string).toLowerCase().startsWith(prefix) };
  }

  private parseAnyLicense(): Node {
    this.expectPunct('(');
    const variable = this.tokens[this.pos++];
    if (variable?.t !== 'word') throw invalid('expected a lambda variable.');
    this.expectPunct(':');
    const path = this.tokens[this.pos++];
    if (path?.t !== 'word' || path.v.toLowerCase() !== `${variable.v.toLowerCase()}/skuid`) {
      throw invalid('only assignedLicenses/any(x:x/skuId eq GUID) is supported.');
    }
    if (!this.isWord('eq')) throw invalid('only eq is supported inside any().');
    this.pos++;
    const value = this.literal();
    this.expectPunct(')');
    if (typeof value !== 'string' || !GUID.test(value)) throw invalid('skuId must be a GUID.');
    const skuId = value.toLowerCase();
    return { evaluate: (_u, lic) => lic.some((l) => l.skuId === skuId), sku: skuId };
  }

  private operator(): string {
    const t = this.tokens[this.pos++];
    if (t?.t !== 'word' || !COMPARISONS.has(t.v.toLowerCase())) throw invalid('expected a comparison operator.');
    return t.v.toLowerCase();
  }

  private list(): Literal[] {
    this.expectPunct('(');
    const values: Literal[] = [this.literal()];
    while (this.peek()?.t === 'punct' && this.peek()?.v === ',') {
      this.pos++;
      values.push(this.literal());
    }
    this.expectPunct(')');
    return values;
  }

  private literal(): Literal {
    const t = this.tokens[this.pos++];
    if (!t || t.t === 'punct') throw invalid('expected a value.');
    if (t.t === 'string') return t.v;
    const lower = t.v.toLowerCase();
    if (lower === 'null') return null;
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    if (GUID.test(t.v)) return t.v;
    const n = Number(t.v);
    if (!Number.isNaN(n)) return n;
    throw invalid(`unexpected literal ${t.v}.`);
  }
}

function compare(actual: unknown, op: string, expected: Literal): boolean {
  const a = typeof actual === 'string' ? actual.toLowerCase() : (actual ?? null);
  const e = typeof expected === 'string' ? expected.toLowerCase() : expected;
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'gt':
      return a !== null && e !== null && a > e;
    case 'ge':
      return a !== null && e !== null && a >= e;
    case 'lt':
      return a !== null && e !== null && a < e;
    default:
      return a !== null && e !== null && a <= e;
  }
}

export function compileFilter(text: string, properties: ReadonlySet<string>): CompiledFilter {
  const parser = new Parser(tokenize(text), properties);
  const root = parser.parse();
  const conjuncts = root.isAnd ?? [root];
  const compiled: CompiledFilter = { predicate: root.evaluate, advanced: parser.advanced };
  const skuNode = conjuncts.find((n) => n.sku);
  if (skuNode?.sku) compiled.requiredSkuId = skuNode.sku;
  const keyNode = conjuncts.find((n) => n.key);
  if (keyNode?.key) {
    compiled.keyProperty = keyNode.key.property;
    compiled.keyValues = keyNode.key.values;
  }
  return compiled;
}

/** Parses `$select=a,b` and rejects properties the type does not have. */
export function parseSelect(value: string | null, properties: ReadonlySet<string>, typeName: string): string[] | null {
  if (value === null || value.trim() === '') return null;
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!properties.has(name)) {
      throw badRequest(`Could not find a property named '${name}' on type '${typeName}'.`, 'BadRequest');
    }
  }
  return names;
}

/** `$top`: 1–999 ([OBS] exact message for out-of-range values). */
export function parseTop(value: string | null, defaultSize = 100): number {
  if (value === null) return defaultSize;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 999) {
    throw badRequest(`Invalid page size specified: '${value}'. Must be between 1 and 999 inclusive.`);
  }
  return n;
}

export function project(
  entity: Record<string, unknown>,
  select: string[] | null,
  defaults: readonly string[],
): Record<string, unknown> {
  const names = select ?? defaults;
  const out: Record<string, unknown> = {};
  for (const name of names) out[name] = entity[name] ?? null;
  return out;
}
