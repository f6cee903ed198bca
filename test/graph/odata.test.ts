import fc from 'fast-check';
import {
  chunkForFilter,
  escapeODataString,
  filterParam,
  inStrings,
  isEncodable,
  odataStringLiteral,
} from '../../src/graph/odata';

/**
 * An independent reader of OData string literals: returns the tokens of an expression, where a literal is
 * '...' with '' standing for one quote. Used to prove that escaped values never leave their literal.
 */
function tokens(expression: string): { literals: string[]; code: string } {
  const literals: string[] = [];
  let code = '';
  let i = 0;
  while (i < expression.length) {
    if (expression[i] !== "'") {
      code += expression[i];
      i += 1;
      continue;
    }
    let value = '';
    i += 1;
    for (;;) {
      if (i >= expression.length) throw new Error('unterminated literal');
      if (expression[i] === "'") {
        if (expression[i + 1] === "'") {
          value += "'";
          i += 2;
          continue;
        }
        i += 1;
        break;
      }
      value += expression[i];
      i += 1;
    }
    literals.push(value);
    code += '?';
  }
  return { literals, code };
}

const anyString = fc.string({ unit: 'binary', maxLength: 40 });

describe('OData escaping', () => {
  it('doubles single quotes and leaves everything else alone', () => {
    expect(escapeODataString("o'brien")).toBe("o''brien");
    expect(odataStringLiteral("'")).toBe("''''");
    expect(escapeODataString('zoë+tag@contoso.com')).toBe('zoë+tag@contoso.com');
  });

  it('any string round-trips through a literal and never changes the expression around it', () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        const expression = `userPrincipalName eq ${odataStringLiteral(a)} or mail eq ${odataStringLiteral(b)}`;
        const parsed = tokens(expression);
        expect(parsed.literals).toEqual([a, b]);
        expect(parsed.code).toBe('userPrincipalName eq ? or mail eq ?');
      }),
      { numRuns: 500 },
    );
  });

  it('an in-list of any values keeps one literal per value, and the encoded filter is one intact query parameter', () => {
    fc.assert(
      fc.property(fc.array(anyString.filter(isEncodable), { minLength: 1, maxLength: 15 }), (values) => {
        const expression = inStrings('userPrincipalName', values);
        const parsed = tokens(expression);
        expect(parsed.literals).toEqual(values);
        expect(parsed.code).toBe(`userPrincipalName in (${values.map(() => '?').join(',')})`);
        const query = new URLSearchParams(`${filterParam(expression)}&$select=id`);
        expect([...query.keys()]).toEqual(['$filter', '$select']);
        expect(query.get('$filter')).toBe(expression);
      }),
      { numRuns: 300 },
    );
  });

  it('recognises strings that cannot be put in a URL', () => {
    expect(isEncodable('plain@contoso.com')).toBe(true);
    expect(isEncodable('😀@contoso.com')).toBe(true);
    expect(isEncodable('\uD800@contoso.com')).toBe(false);
    expect(isEncodable('a\uDC00')).toBe(false);
  });

  it('chunks by count and by encoded length, keeping every value once and in order', () => {
    fc.assert(
      fc.property(fc.array(anyString.filter(isEncodable), { maxLength: 80 }), (values) => {
        const chunks = chunkForFilter(values, 15, 600);
        expect(chunks.flat()).toEqual(values);
        for (const chunk of chunks) {
          expect(chunk.length).toBeGreaterThan(0);
          expect(chunk.length).toBeLessThanOrEqual(15);
          const encoded = chunk.reduce((sum, v) => sum + encodeURIComponent(odataStringLiteral(v)).length + 3, 0);
          if (chunk.length > 1) expect(encoded).toBeLessThanOrEqual(600);
        }
      }),
    );
  });
});
