#!/usr/bin/env node
// Compiles contracts/<Name>.sol with the pinned solcjs into contracts/<Name>.json.
// The artifact records the source's SHA-256 so a test can prove source and artifact never drift.
// Usage: node scripts/build-contracts.mjs [--contract <Name>] [--out <path>]
//        (default: ReserveToken, written to contracts/<Name>.json)

import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import solc from 'solc'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
function arg(name, fallback) {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : fallback
}
const CONTRACT = arg('--contract', 'ReserveToken')
if (!/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(CONTRACT)) throw new Error(`not a contract name: ${CONTRACT}`)
const SOURCE_NAME = `${CONTRACT}.sol`
// cancun: understood by both anvil and the py-evm backend of eth-tester (newer forks may not be).
const SETTINGS = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 200 },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
}

function outPath() {
  return arg('--out', join(root, 'contracts', `${CONTRACT}.json`))
}

const source = readFileSync(join(root, 'contracts', SOURCE_NAME))
const input = {
  language: 'Solidity',
  sources: { [SOURCE_NAME]: { content: source.toString('utf8') } },
  settings: SETTINGS,
}
const output = JSON.parse(solc.compile(JSON.stringify(input)))
const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
for (const e of output.errors ?? []) console.error(e.formattedMessage)
if (errors.length) process.exit(1)

const compiled = output.contracts[SOURCE_NAME][CONTRACT]
const { optimizer, evmVersion } = SETTINGS
const artifact = {
  contract: CONTRACT,
  abi: compiled.abi,
  bytecode: '0x' + compiled.evm.bytecode.object,
  compiler: { name: 'solc', version: solc.version(), settings: { evmVersion, optimizer } },
  source: `contracts/${SOURCE_NAME}`,
  source_sha256: createHash('sha256').update(source).digest('hex'),
}
writeFileSync(outPath(), JSON.stringify(artifact, null, 2) + '\n')
console.log(`wrote ${outPath()} (${compiled.evm.bytecode.object.length / 2} bytes of init code)`)
