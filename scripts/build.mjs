// Builds all three apps (one tsc pass over apps/ and libs/) and writes the documented entry points
// dist/apps/<app>/main.js, so each app starts with `node dist/apps/<app>/main.js`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

const apps = ['api', 'batch-worker', 'cj-integration'];
rmSync('dist', { recursive: true, force: true });
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
for (const app of apps) {
  mkdirSync(`dist/apps/${app}`, { recursive: true });
  writeFileSync(`dist/apps/${app}/main.js`, `import './src/main.js';\n`);
}
console.log(`built ${apps.join(', ')} into dist/apps/<app>/main.js`);
