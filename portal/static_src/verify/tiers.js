// Format 5's `tiers` member as reserves verify's `tiers` check recomputes it (members/tiers.py): each tier's
// amount from the counted outputs, the basis, the shares (floor, basis points, BigInt), the in-band flags and
// the findings. The contracts' own check (`contracts`) derives scripts from descriptors: reserves verify's.

import { BP_SCALE } from "./rules.js";

function declarationProblems(tiers) {
  const problems = [];
  const names = tiers.map((t) => t.name);
  const sorted = [...new Set(names)].sort();
  if (names.length !== sorted.length || names.some((n, i) => n !== sorted[i])) problems.push("tiers are not sorted by name or a name repeats");
  if (tiers.reduce((sum, t) => sum + BigInt(t.target_bp), 0n) !== BP_SCALE) problems.push(`tier targets do not sum to ${BP_SCALE} bp`);
  const wallets = tiers.flatMap((t) => t.wallets);
  if (new Set(wallets).size !== wallets.length) problems.push("a wallet is in two tiers");
  const unlocked = new Set(tiers.filter((t) => !t.locked).map((t) => t.name));
  for (const t of tiers) {
    if (t.locked !== (t.unlocked_to !== null) || (t.locked && !unlocked.has(t.unlocked_to))) {
      problems.push(`tier ${t.name}: unlocked_to must name a tier that is not locked, exactly when locked`);
    }
    const sortedWallets = [...t.wallets].sort();
    if (t.wallets.some((w, i) => w !== sortedWallets[i])) problems.push(`tier ${t.name}: wallets are not sorted`);
  }
  return problems;
}

// {amounts: Map name -> BigInt, basis, unassigned: Map wallet -> BigInt} of the read sources' counted outputs.
function tierAmounts(tiers, sources) {
  const home = new Map();
  for (const t of tiers) for (const w of t.wallets) home.set(w, t);
  const byName = new Map(tiers.map((t) => [t.name, t]));
  const amounts = new Map(tiers.map((t) => [t.name, 0n]));
  const unassigned = new Map();
  let basis = 0n;
  for (const s of sources) {
    if ("error" in s) continue;
    for (const u of s.utxos) {
      const value = BigInt(u.value_sat);
      basis += value;
      let tier = home.get(u.wallet);
      if (tier === undefined) {
        unassigned.set(u.wallet, (unassigned.get(u.wallet) || 0n) + value);
        continue;
      }
      if (tier.locked && u.lock === null) tier = byName.get(tier.unlocked_to) || tier;
      amounts.set(tier.name, amounts.get(tier.name) + value);
    }
  }
  return { amounts, basis, unassigned };
}

const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// The member as the rule gives it from the tiers' declarations and the contract entries.
export function expectedTiers(member, sources) {
  const { amounts, basis, unassigned } = tierAmounts(member.tiers, sources);
  const complete = sources.every((s) => !("error" in s));
  const tiers = member.tiers.map((t) => {
    const amount = amounts.get(t.name);
    const share = complete && basis > 0n ? (amount * BP_SCALE) / basis : null;
    const gap = share === null ? null : share - BigInt(t.target_bp);
    const inBand = gap === null ? null : (gap < 0n ? -gap : gap) <= BigInt(t.band_bp);
    return { name: t.name, amount_sat: String(amount), share_bp: share === null ? null : String(share), in_band: inBand };
  });
  const findings = [];
  for (const t of member.tiers.map((d, i) => ({ ...d, ...tiers[i] }))) {
    if (t.in_band === false) {
      findings.push({ code: "tier_out_of_band", category: "policy", subject: t.name, detail: `share ${t.share_bp} bp is outside ${t.target_bp} +/- ${t.band_bp} bp` });
    }
  }
  for (const [wallet, value] of [...unassigned.entries()].sort((a, b) => cmp(a[0], b[0]))) {
    findings.push({ code: "wallet_unassigned", category: "policy", subject: wallet, detail: `${value} sat of wallet ${wallet} are in no tier` });
  }
  for (const c of member.contracts) {
    for (const code of c.findings) findings.push({ code, category: "contract", subject: c.name, detail: `contract ${c.name}: ${code}` });
  }
  return { complete, basis_sat: String(basis), tiers, findings };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const findingText = (f) => [f.code, f.category, f.subject, f.detail];

// The `tiers` check: [] when consistent.
export function checkTiers(doc) {
  const member = doc.tiers;
  if (member === null) return [];
  const problems = declarationProblems(member.tiers);
  if (problems.length) return problems;
  const want = expectedTiers(member, doc.reserves.sources);
  for (const key of ["complete", "basis_sat"]) {
    if (member[key] !== want[key]) problems.push(`tiers.${key} ${member[key]} but the counted outputs give ${want[key]}`);
  }
  member.tiers.forEach((got, i) => {
    for (const key of ["amount_sat", "share_bp", "in_band"]) {
      if (got[key] !== want.tiers[i][key]) problems.push(`tier ${got.name}: ${key} ${got[key]} but the rule gives ${want.tiers[i][key]}`);
    }
  });
  if (!same(member.findings.map(findingText), want.findings.map(findingText))) {
    problems.push("tiers.findings are not the findings the tiers and contracts give");
  }
  return problems;
}
