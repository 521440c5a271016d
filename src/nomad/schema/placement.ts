// Placement preferences: constraints, affinities and spreads (api/constraint.go, api/tasks.go).
import { field, goInt, listOf, str, struct } from './primitives.ts';

export const ConstraintSchema = struct('Constraint', 'A hard placement rule on node attributes.', {
  LTarget: field(str()),
  RTarget: field(str()),
  Operand: field(str()),
});

export const AffinitySchema = struct('Affinity', 'A soft placement preference; Weight is -100..100.', {
  LTarget: field(str()),
  RTarget: field(str()),
  Operand: field(str()),
  Weight: field(goInt('int8')),
});

export const SpreadTargetSchema = struct('SpreadTarget', 'Desired share of allocations for one value.', {
  Value: field(str()),
  Percent: field(goInt('uint8')),
});

export const SpreadSchema = struct('Spread', 'Spread allocations over the values of an attribute.', {
  Attribute: field(str()),
  Weight: field(goInt('int8')),
  SpreadTarget: field(listOf(SpreadTargetSchema)),
});
