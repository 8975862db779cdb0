// Bundles the browser verifier (portal/static_src/verify/*.js with @noble/curves and @noble/hashes) into one
// file, portal/static/verify-<content hash>.js, and records it in portal/static/verify.manifest.json: its
// sha384 (the page's Subresource Integrity value) and each npm package bundled, with the version and
// integrity package-lock.json pins. Same inputs, same bytes: the bundle is committed, so the portal never
// needs npm at run time; tests/portal/test_verifier_bundle.py rebuilds it and compares.
//
//   node scripts/build-verifier.mjs            write into portal/static/ (replacing the older bundle)
//   node scripts/build-verifier.mjs --out DIR  write into DIR instead (what the test compares)

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, version as esbuildVersion } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ENTRY = "portal/static_src/verify/page.js";
const MANIFEST = "verify.manifest.json";

const args = process.argv.slice(2);
const outDir = args[0] === "--out" && args[1] ? resolve(args[1]) : join(ROOT, "portal/static");

const result = await build({
  absWorkingDir: ROOT,
  entryPoints: [ENTRY],
  bundle: true,
  write: false,
  metafile: true,
  format: "iife",
  target: "es2022",
  platform: "browser",
  charset: "utf8",
  legalComments: "inline",
  minify: false, // readable: anyone can compare the served file with its sources
  banner: { js: "// Browser verifier of reserves attestations: built by scripts/build-verifier.mjs; do not edit." },
});
const bytes = result.outputFiles[0].contents;

// Each npm package whose files went into the bundle, with what package-lock.json pins for it.
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8"));
const names = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const at = input.lastIndexOf("node_modules/");
  if (at < 0) continue;
  const parts = input.slice(at + "node_modules/".length).split("/");
  names.add(parts[0].startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]);
}
const packages = [...names].sort().map((name) => {
  const installed = JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
  const locked = lock.packages[`node_modules/${name}`];
  if (!locked || locked.version !== installed) {
    throw new Error(`${name}: node_modules holds ${installed}, package-lock.json pins ${locked && locked.version}; run npm install`);
  }
  return { name, version: locked.version, integrity: locked.integrity };
});
const sources = Object.keys(result.metafile.inputs)
  .filter((p) => !p.includes("node_modules/"))
  .sort();

const file = `verify-${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}.js`;
const manifest = {
  file,
  sha384: "sha384-" + createHash("sha384").update(bytes).digest("base64"),
  esbuild: esbuildVersion,
  sources,
  packages,
};
mkdirSync(outDir, { recursive: true });
for (const old of readdirSync(outDir)) if (/^verify-[0-9a-f]{16}\.js$/.test(old) && old !== file) rmSync(join(outDir, old));
writeFileSync(join(outDir, file), bytes);
writeFileSync(join(outDir, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
console.log(`${file} (${bytes.length} bytes) ${manifest.sha384}`);
