// The linter with the language server's modules, bundled on its own (dist/lint.js): only
// `cairn lint` loads it, so no other command pays for them at start-up.
export { lintFiles } from '../server/lintFiles';
