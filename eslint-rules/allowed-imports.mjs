// @ts-check
/**
 * An allow-list for imports: a file may import only the packages and folders its layer is allowed to depend on.
 * A deny-list misses spellings (a folder import such as `../graph` slips past a pattern for files under graph/);
 * an allow-list cannot. Type-only imports
 * are allowed from anywhere (they vanish at run time), unless `allowTypeImports` is false.
 */
import { builtinModules } from 'node:module';
import * as path from 'node:path';

const BUILTINS = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageName(source) {
  const parts = source.split('/');
  return source.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? source);
}

/** @type {import('eslint').Rule.RuleModule} */
export const allowedImports = {
  meta: {
    type: 'problem',
    docs: { description: 'Allow only the listed packages and folders to be imported.' },
    schema: [
      {
        type: 'object',
        properties: {
          packages: { type: 'array', items: { type: 'string' } },
          folders: { type: 'array', items: { type: 'string' } },
          root: { type: 'string' },
          layer: { type: 'string' },
          allowTypeImports: { type: 'boolean' },
        },
        required: ['packages', 'folders', 'root', 'layer'],
        additionalProperties: false,
      },
    ],
    messages: {
      forbidden: '{{layer}} may import only {{allowed}}; "{{source}}" is not one of them.',
    },
  },
  create(context) {
    const [options] = context.options;
    const packages = new Set(options.packages);
    const folders = options.folders.map((folder) => path.resolve(options.root, folder));
    const allowTypeImports = options.allowTypeImports ?? true;
    const allowed = [...options.packages.map((p) => `"${p}"`), ...options.folders.map((f) => `${f}/`)].join(', ');
    const fileDir = path.dirname(context.filename);

    const isAllowed = (source) => {
      if (source.startsWith('.')) {
        const target = path.resolve(fileDir, source);
        return folders.some((folder) => target === folder || target.startsWith(folder + path.sep));
      }
      if (BUILTINS.has(source)) return packages.has(source);
      return packages.has(packageName(source));
    };
    const check = (node, source, typeOnly) => {
      if (typeof source !== 'string' || (typeOnly && allowTypeImports) || isAllowed(source)) return;
      context.report({ node, messageId: 'forbidden', data: { layer: options.layer, allowed, source } });
    };
    const onlyTypeSpecifiers = (node) =>
      node.specifiers.length > 0 && node.specifiers.every((specifier) => specifier.importKind === 'type');

    return {
      ImportDeclaration(node) {
        check(node, node.source.value, node.importKind === 'type' || onlyTypeSpecifiers(node));
      },
      ExportNamedDeclaration(node) {
        if (node.source) check(node, node.source.value, node.exportKind === 'type');
      },
      ExportAllDeclaration(node) {
        check(node, node.source.value, node.exportKind === 'type');
      },
      ImportExpression(node) {
        if (node.source.type === 'Literal') check(node, node.source.value, false);
      },
      'CallExpression[callee.name="require"]'(node) {
        const [argument] = node.arguments;
        if (argument?.type === 'Literal') check(node, argument.value, false);
      },
    };
  },
};

export default { rules: { 'allowed-imports': allowedImports } };
