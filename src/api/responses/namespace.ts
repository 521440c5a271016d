// Nomad namespaces (structs.Namespace) as the namespaces API answers them, and where their fields
// live on the Kubernetes namespace. Name, CreateIndex and ModifyIndex come from the Kubernetes
// namespace itself; the fields Kubernetes has no place for are annotations the API writes on each
// PUT, so a GET answers what the PUT stored:
//   nomadoperator.dev/namespace                     the exact Nomad name (hashed namespaces, ids.ts)
//   nomadoperator.dev/namespace-description         Description
//   nomadoperator.dev/namespace-meta                Meta (JSON object of strings)
//   nomadoperator.dev/namespace-capabilities        Capabilities (JSON)
//   nomadoperator.dev/namespace-required-extra-claims, …-optional-extra-claims (JSON objects)
// Quota, NodePoolConfiguration, VaultConfiguration and ConsulConfiguration are refused on write as
// Nomad's community edition refuses them, so they are always empty here.
import type { V1Namespace } from '@kubernetes/client-node';
import { z } from 'zod';
import { NOMAD_DEFAULT_NAMESPACE } from '../../nomad/ids.ts';
import {
  ANNOTATION_NAMESPACE,
  ANNOTATION_NAMESPACE_CAPABILITIES,
  ANNOTATION_NAMESPACE_DESCRIPTION,
  ANNOTATION_NAMESPACE_META,
  ANNOTATION_NAMESPACE_OPTIONAL_CLAIMS,
  ANNOTATION_NAMESPACE_REQUIRED_CLAIMS,
} from '../../nomad/keys.ts';

/** Nomad's description of its built-in `default` namespace. */
export const DEFAULT_NAMESPACE_DESCRIPTION = 'Default shared namespace';

const stringList = z.array(z.string()).nullable();
export const CapabilitiesSchema = z.object({
  EnabledTaskDrivers: stringList,
  DisabledTaskDrivers: stringList,
  EnabledNetworkModes: stringList,
  DisabledNetworkModes: stringList,
});
export type NamespaceCapabilities = z.infer<typeof CapabilitiesSchema>;
const StringMapSchema = z.record(z.string(), z.string());
type StringMap = z.infer<typeof StringMapSchema>;

/** The user-set fields of a Nomad namespace that this API keeps. */
export interface NamespaceSpec {
  Name: string;
  Description: string;
  Capabilities: NamespaceCapabilities | null;
  Meta: StringMap | null;
  RequiredExtraClaims: StringMap | null;
  OptionalExtraClaims: StringMap | null;
}

/** One Nomad namespace: its name and the Kubernetes namespace holding it (if it exists). */
export interface NamespaceView {
  name: string;
  k8s?: V1Namespace;
  createIndex: number;
  modifyIndex: number;
}

/** The annotations a write leaves on the Kubernetes namespace (null: remove the key). */
export function specAnnotations(spec: NamespaceSpec): Record<string, string | null> {
  const json = (value: unknown) => (value === null ? null : JSON.stringify(value));
  return {
    [ANNOTATION_NAMESPACE]: spec.Name,
    [ANNOTATION_NAMESPACE_DESCRIPTION]: spec.Description,
    [ANNOTATION_NAMESPACE_META]: json(spec.Meta),
    [ANNOTATION_NAMESPACE_CAPABILITIES]: json(spec.Capabilities),
    [ANNOTATION_NAMESPACE_REQUIRED_CLAIMS]: json(spec.RequiredExtraClaims),
    [ANNOTATION_NAMESPACE_OPTIONAL_CLAIMS]: json(spec.OptionalExtraClaims),
  };
}

/** An annotation holding JSON, read back through `schema` (anyone may edit annotations: null when it does not fit). */
function jsonAnnotation<T>(annotations: Record<string, string>, key: string, schema: z.ZodType<T>): T | null {
  const raw = annotations[key];
  if (raw === undefined) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** structs.Namespace as Nomad's HTTP API encodes it. */
export function namespaceResponse(view: NamespaceView): Record<string, unknown> {
  const annotations = view.k8s?.metadata?.annotations ?? {};
  const description =
    annotations[ANNOTATION_NAMESPACE_DESCRIPTION] ??
    (view.name === NOMAD_DEFAULT_NAMESPACE ? DEFAULT_NAMESPACE_DESCRIPTION : '');
  return {
    Name: view.name,
    Description: description,
    Quota: '',
    Capabilities: jsonAnnotation(annotations, ANNOTATION_NAMESPACE_CAPABILITIES, CapabilitiesSchema),
    NodePoolConfiguration: null,
    VaultConfiguration: null,
    ConsulConfiguration: null,
    Meta: jsonAnnotation(annotations, ANNOTATION_NAMESPACE_META, StringMapSchema),
    CreateIndex: view.createIndex,
    ModifyIndex: view.modifyIndex,
    RequiredExtraClaims: jsonAnnotation(annotations, ANNOTATION_NAMESPACE_REQUIRED_CLAIMS, StringMapSchema),
    OptionalExtraClaims: jsonAnnotation(annotations, ANNOTATION_NAMESPACE_OPTIONAL_CLAIMS, StringMapSchema),
  };
}
