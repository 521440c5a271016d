// Validation of constraints, affinities and spreads (Nomad's Constraint/Affinity/Spread.Validate and
// validateConstraintAttribute). Each returns that block's error list; callers nest it under
// "Constraint N validation failed: …" and the like.

import { goQuote } from '../go.ts';
import type { Affinity, Constraint, Spread } from '../schema.ts';
import { re2SyntaxError } from './re2.ts';

const SET_OPERATORS = ['set_contains', 'set_contains_all', 'set_contains_any'];
const COMPARISON_OPERATORS = ['=', '==', 'is', '!=', 'not', '<', '<=', '>', '>='];

/** `${name}`: Nomad's interpolation syntax (written this way because it is not JavaScript's). */
const interpolation = (name: string) => `\${${name}}`;

/** Targets Nomad can resolve exactly, and prefixes it can resolve (nomad/structs/constraint.go). */
const EXACT_TARGETS = [
  'node.unique.id',
  'node.datacenter',
  'node.unique.name',
  'node.class',
  'node.pool',
].map(interpolation);
const TARGET_PREFIXES = ['attr.', 'device.', 'meta.'].map((prefix) => interpolation(prefix).slice(0, -1));

function attributeError(target: string): string | undefined {
  if (!target.startsWith('$')) return undefined; // a literal value
  if (!target.startsWith('${')) return `attribute ${goQuote(target)} is missing an opening brace`;
  if (!target.endsWith('}')) return `attribute ${goQuote(target)} is missing a closing brace`;
  if (EXACT_TARGETS.includes(target) || TARGET_PREFIXES.some((p) => target.startsWith(p))) return undefined;
  return `unsupported attribute ${goQuote(target)}`;
}

// hashicorp/go-version's constraint grammar: comma-separated `<op> <version>` terms. The `semver`
// operand uses Nomad's own stricter grammar: no `~>`, and a pre-release always after a hyphen.
const versionPattern = (prereleaseHyphen: string) =>
  `v?[0-9]+(?:\\.[0-9]+)*?(?:-[0-9]+[0-9A-Za-z\\-~]*(?:\\.[0-9A-Za-z\\-~]+)*|${prereleaseHyphen}[A-Za-z\\-~]+[0-9A-Za-z\\-~]*(?:\\.[0-9A-Za-z\\-~]+)*)?(?:\\+[0-9A-Za-z\\-~]+(?:\\.[0-9A-Za-z\\-~]+)*)?`;
const VERSION_TERM = new RegExp(`^\\s*(?:=|!=|>|<|>=|<=|~>)?\\s*${versionPattern('-?')}\\s*$`);
const SEMVER_TERM = new RegExp(`^\\s*(?:=|!=|>|<|>=|<=)?\\s*${versionPattern('-')}\\s*$`);

function versionConstraintError(value: string, term: RegExp): string | undefined {
  const bad = value.split(',').find((t) => !term.test(t));
  return bad === undefined ? undefined : `Malformed constraint: ${bad}`;
}

/** Whether Go's regexp package compiles the pattern (see re2.ts for how close the text is). */
function regexpError(pattern: string): string | undefined {
  const error = re2SyntaxError(pattern);
  return error === undefined
    ? undefined
    : `Regular expression failed to compile: error parsing regexp: ${error}`;
}

export function constraintErrors(c: Constraint): string[] {
  const errors: string[] = [];
  const operand = c.Operand ?? '';
  const rTarget = c.RTarget ?? '';
  if (operand === '') errors.push('Missing constraint operand');

  let requiresLTarget = true;
  if (operand === 'distinct_hosts') requiresLTarget = false;
  else if (SET_OPERATORS.includes(operand)) {
    if (rTarget === '') errors.push('Set contains constraint requires an RTarget');
  } else if (operand === 'regexp') {
    const error = regexpError(rTarget);
    if (error) errors.push(error);
  } else if (operand === 'version' || operand === 'semver') {
    const semver = operand === 'semver';
    const error = versionConstraintError(rTarget, semver ? SEMVER_TERM : VERSION_TERM);
    if (error) errors.push(`${semver ? 'Semver' : 'Version'} constraint is invalid: ${error}`);
  } else if (operand === 'distinct_property') {
    if (rTarget !== '') {
      if (!/^\d+$/.test(rTarget)) {
        errors.push(
          `Failed to convert RTarget ${goQuote(rTarget)} to uint64: strconv.ParseUint: parsing ${goQuote(rTarget)}: invalid syntax`,
        );
      } else if (Number(rTarget) < 1) {
        errors.push(`Distinct Property must have an allowed count of 1 or greater: ${Number(rTarget)} < 1`);
      }
    }
  } else if (operand === 'is_set' || operand === 'is_not_set') {
    if (rTarget !== '') errors.push(`Operator ${goQuote(operand)} does not support an RTarget`);
  } else if (COMPARISON_OPERATORS.includes(operand)) {
    if (rTarget === '') errors.push(`Operator ${goQuote(operand)} requires an RTarget`);
  } else {
    errors.push(`Unknown constraint type ${goQuote(operand)}`);
  }

  if (requiresLTarget) {
    const lTarget = c.LTarget ?? '';
    if (lTarget === '') errors.push('no attribute provided but is required by operator');
    else {
      const error = attributeError(lTarget);
      if (error) errors.push(error);
    }
  }
  return errors;
}

export function affinityErrors(a: Affinity): string[] {
  const errors: string[] = [];
  const operand = a.Operand ?? '';
  const rTarget = a.RTarget ?? '';
  if (operand === '') errors.push('Missing affinity operand');

  if (SET_OPERATORS.includes(operand)) {
    if (rTarget === '') errors.push('Set contains operators require an RTarget');
  } else if (operand === 'regexp') {
    const error = regexpError(rTarget);
    if (error) errors.push(error);
  } else if (operand === 'version' || operand === 'semver') {
    const semver = operand === 'semver';
    const error = versionConstraintError(rTarget, semver ? SEMVER_TERM : VERSION_TERM);
    if (error) errors.push(`${semver ? 'Semver' : 'Version'} affinity is invalid: ${error}`);
  } else if (COMPARISON_OPERATORS.includes(operand)) {
    if (rTarget === '') errors.push(`Operator ${goQuote(operand)} requires an RTarget`);
  } else {
    errors.push(`Unknown affinity operator ${goQuote(operand)}`);
  }

  if ((a.LTarget ?? '') === '') errors.push('No LTarget provided but is required');
  const weight = a.Weight ?? 0;
  if (weight === 0) errors.push('Affinity weight cannot be zero');
  if (weight > 100 || weight < -100) errors.push('Affinity weight must be within the range [-100,100]');
  return errors;
}

export function spreadErrors(s: Spread): string[] {
  const errors: string[] = [];
  if ((s.Attribute ?? '') === '') errors.push('Missing spread attribute');
  const weight = s.Weight ?? 0;
  if (weight <= 0 || weight > 100) errors.push('Spread block must have a positive weight from 0 to 100');
  const seen = new Set<string>();
  let sum = 0;
  for (const target of s.SpreadTarget ?? []) {
    const value = target.Value ?? '';
    if (seen.has(value)) errors.push(`Spread target value ${goQuote(value)} already defined`);
    seen.add(value);
    const percent = target.Percent ?? 0;
    if (percent > 100) {
      errors.push(`Spread target percentage for value ${goQuote(value)} must be between 0 and 100`);
    }
    sum += percent;
  }
  if (sum > 100) errors.push(`Sum of spread target percentages must not be greater than 100%; got ${sum}%`);
  return errors;
}
