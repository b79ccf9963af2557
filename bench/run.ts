/**
 * `npm run bench -- <name> [args]`: runs bench/<name>.ts's default export with the remaining args.
 */
const [name, ...args] = process.argv.slice(2);
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  console.error('usage: npm run bench -- <name> [args]   (e.g. npm run bench -- classify)');
  process.exit(2);
}
const mod = (await import(`./${name}.js`)) as { default: (argv: readonly string[]) => Promise<void> };
await mod.default(args);
