/**
 * ASP.NET-style route templates as the Functions host understands them: literal segments (case-insensitive),
 * `{name}`, `{name?}` (optional, trailing), `{name:constraint}` (the constraint is checked for int/bool/guid only)
 * and `{*name}` (catch-all).
 */
export interface CompiledRoute {
  template: string;
  match(path: string): Record<string, string> | undefined;
  /** Higher wins when several templates match: literal segments beat parameters. */
  specificity: number;
}

const CONSTRAINTS: Record<string, RegExp> = {
  int: /^-?\d+$/,
  long: /^-?\d+$/,
  bool: /^(true|false)$/i,
  guid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  alpha: /^[a-z]+$/i,
};

export function compileRoute(template: string): CompiledRoute {
  const segments = template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((segment) => segment !== '');
  const names: string[] = [];
  const constraints: (RegExp | undefined)[] = [];
  let pattern = '^';
  let specificity = 0;
  for (const segment of segments) {
    const parameter = /^\{(\*)?([A-Za-z_][\w]*)(?::([A-Za-z]+)(?:\([^)]*\))?)?(\?)?\}$/.exec(segment);
    if (!parameter) {
      pattern += '/' + escapeRegExp(segment);
      specificity += 2;
      continue;
    }
    const [, catchAll, name, constraint, optional] = parameter;
    names.push(name!);
    constraints.push(constraint ? CONSTRAINTS[constraint.toLowerCase()] : undefined);
    if (catchAll) pattern += '(?:/(.*))?';
    else if (optional) pattern += '(?:/([^/]+))?';
    else {
      pattern += '/([^/]+)';
      specificity += 1;
    }
  }
  pattern += '/?$';
  const regex = new RegExp(pattern, 'i');
  return {
    template,
    specificity,
    match(path) {
      const found = regex.exec(path.replace(/^(?!\/)/, '/'));
      if (!found) return undefined;
      const params: Record<string, string> = {};
      for (const [index, name] of names.entries()) {
        const raw = found[index + 1];
        if (raw === undefined) continue;
        const value = decodeURIComponent(raw);
        const constraint = constraints[index];
        if (constraint && !constraint.test(value)) return undefined;
        params[name] = value;
      }
      return params;
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
