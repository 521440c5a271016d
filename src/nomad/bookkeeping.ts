// The job fields that are bookkeeping of a registration, set by the server, not part of the spec.

/**
 * Registration bookkeeping: changing these does not make a new version, a job derived from another
 * (dispatch, periodic launch, revert) drops them, and the NomadJob spec never stores them.
 */
export const REGISTRATION_FIELDS = [
  'Version',
  'Stable',
  'SubmitTime',
  'Status',
  'StatusDescription',
  'CreateIndex',
  'ModifyIndex',
  'JobModifyIndex',
  'VersionTag',
] as const;
