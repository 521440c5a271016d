// Validation of a group's volume requests and a task's volume mounts (Nomad's VolumeRequest.Validate
// and VolumeMount.Validate).
import { goQuote } from '../go.ts';
import type { VolumeMount, VolumeRequest } from '../schema.ts';
import { formatMultiError } from './multierror.ts';

/** Host volume access modes whose use can only be checked against other allocations, at scheduling. */
const HOST_ACCESS_MODES = ['', 'single-node-writer', 'single-node-single-writer', 'single-node-multi-writer'];

/**
 * VolumeRequest.Validate as the one error text Nomad nests behind "Task group volume validation for
 * <name> failed: ": a plain message for an unknown type, otherwise a multierror.
 */
export function volumeRequestError(
  v: VolumeRequest,
  jobType: string,
  groupCount: number,
  canaries: number,
): string | undefined {
  const type = v.Type ?? '';
  if (type !== 'host' && type !== 'csi') return `volume has unrecognized type ${type}`;
  const errors: string[] = [];
  const accessMode = v.AccessMode ?? '';
  const readOnly = v.ReadOnly ?? false;
  const perAlloc = v.PerAlloc ?? false;
  if ((v.Source ?? '') === '') errors.push('volume has an empty source');
  if (perAlloc) {
    if (jobType === 'system' || jobType === 'sysbatch') {
      errors.push('volume cannot be per_alloc for system or sysbatch jobs');
    }
    if (canaries > 0) errors.push('volume cannot be per_alloc when canaries are in use');
    if (v.Sticky) errors.push('volume cannot be per_alloc and sticky at the same time');
  }

  if (type === 'host') {
    if (v.MountOptions) errors.push('host volumes cannot have mount options');
    if (accessMode === 'single-node-reader-only') {
      if (!readOnly) errors.push(`${accessMode} volumes must be read-only`);
    } else if (!HOST_ACCESS_MODES.includes(accessMode)) {
      errors.push(`host volumes cannot be mounted with ${accessMode} access mode`);
    }
  } else {
    const attachmentMode = v.AttachmentMode ?? '';
    if (attachmentMode === '') errors.push('CSI volumes must have an attachment mode');
    else if (attachmentMode === 'block-device' && v.MountOptions) {
      errors.push('block devices cannot have mount options');
    }
    // A single-node mode serves one allocation unless every allocation gets its own volume.
    const shared = groupCount > 1 && !perAlloc;
    switch (accessMode) {
      case '':
        errors.push('CSI volumes must have an access mode');
        break;
      case 'single-node-reader-only':
        if (!readOnly) errors.push(`${accessMode} volumes must be read-only`);
        if (shared) errors.push(`volume with ${accessMode} access mode allows only one reader`);
        break;
      case 'single-node-writer':
        if (shared) errors.push(`volume with ${accessMode} access mode allows only one reader or writer`);
        break;
      case 'multi-node-reader-only':
        if (!readOnly) errors.push(`${accessMode} volumes must be read-only`);
        break;
      case 'multi-node-single-writer':
        if (!readOnly && shared) errors.push(`volume with ${accessMode} access mode allows only one writer`);
        break;
    }
  }
  return errors.length === 0 ? undefined : formatMultiError(errors);
}

/** VolumeMount.Validate as the text Nomad quotes in "Volume Mount (<i>) is invalid: "…"". */
export function volumeMountError(m: VolumeMount): string | undefined {
  const errors: string[] = [];
  if ((m.Volume ?? '') === '') errors.push('volume mount references an empty volume');
  const propagation = m.PropagationMode ?? '';
  if (!['', 'private', 'host-to-task', 'bidirectional'].includes(propagation)) {
    errors.push(`volume mount has an invalid propagation mode: ${goQuote(propagation)}`);
  }
  const label = m.SELinuxLabel ?? '';
  if (!['', 'z', 'Z'].includes(label)) errors.push(`volume mount has an invalid SELinux label: "${label}"`);
  return errors.length === 0 ? undefined : formatMultiError(errors);
}
