// Every label and annotation key the operator reads or writes on Kubernetes objects, and the API group
// they live under: one place to look a key up, one naming style (LABEL_… for labels, ANNOTATION_… for
// annotations). Values that need encoding (selector-safe label values, JSON annotations) are described
// here and produced by the module named with each key. No logic: constants only, so every layer
// (translator, reconciler, Nomad API) can import it.

/** API group of this project's custom resources (`NomadJob` is `nomadjobs.nomadoperator.dev`). */
export const API_GROUP = 'nomadoperator.dev';

// ## Identity (ids.ts: identityLabels, identityAnnotations, readIdentity)

/** Label: the NomadJob object name (ids.ts `jobObjectName`); selects a job's child objects. */
export const LABEL_JOB = `${API_GROUP}/job`;
/** Label: selector-safe form (`labelValueFor`) of the Nomad job ID. The exact ID is in ANNOTATION_JOB_ID. */
export const LABEL_JOB_ID = `${API_GROUP}/job-id`;
/** Label: selector-safe form of the Nomad namespace. The exact value is in ANNOTATION_NAMESPACE. */
export const LABEL_NAMESPACE = `${API_GROUP}/namespace`;
/** Label: selector-safe form of the parent job ID of a dispatched/periodic child. */
export const LABEL_PARENT_ID = `${API_GROUP}/parent-id`;
/** Label: selector-safe form of a task group name, on objects created per group. */
export const LABEL_GROUP = `${API_GROUP}/group`;
/** Label: selector-safe form of a task name, on objects created per task. */
export const LABEL_TASK = `${API_GROUP}/task`;
/** Standard `app.kubernetes.io/managed-by` label and the value this operator writes. */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'nomad-operator';

/** Annotation: the exact Nomad job ID (any string). */
export const ANNOTATION_JOB_ID = `${API_GROUP}/job-id`;
/** Annotation: the exact Nomad namespace (on job objects, and on Kubernetes namespaces the API made). */
export const ANNOTATION_NAMESPACE = `${API_GROUP}/namespace`;
/** Annotation: the exact parent job ID of a dispatched or periodic child job. */
export const ANNOTATION_PARENT_ID = `${API_GROUP}/parent-id`;
/** Annotation: the exact task group name, on objects created per group. */
export const ANNOTATION_GROUP = `${API_GROUP}/group`;
/** Annotation: the exact task name, on objects created per task. */
export const ANNOTATION_TASK = `${API_GROUP}/task`;

// ## Versions (translate/index.ts, jobs/versions.ts, jobs/history.ts)

/**
 * Label: the Nomad job version — on every translated object the version it was generated for
 * (`options.version`), on a ControllerRevision the version it stores.
 */
export const LABEL_VERSION = `${API_GROUP}/version`;
/**
 * Annotation on a revision: `true`/`false`, the version's stability as set later (setStable in
 * jobs/history.ts). A ControllerRevision's `data` is immutable, so the flag recorded at creation is
 * only the default; the annotation, when present, wins.
 */
export const ANNOTATION_STABLE = `${API_GROUP}/stable`;
/**
 * Annotation on a revision: the NomadJob's `metadata.generation` whose spec the version was recorded
 * from. A cache that shows the NomadJob at an older generation than one of its revisions is behind
 * (its watch event not delivered yet): the reconciler waits for it rather than recording the older
 * spec as a version of its own (jobs/versions.ts recordedFromNewerGeneration).
 */
export const ANNOTATION_GENERATION = `${API_GROUP}/generation`;
/**
 * Annotations on a revision: the Nomad indexes of its version, recorded with it (jobs/versions.ts),
 * so no write of the NomadJob is needed for them. `job-modify-index`: the resourceVersion of the
 * NomadJob write that made the version's spec (the version's JobModifyIndex). `create-index`: the
 * job's CreateIndex (the resourceVersion of its creation), carried from each version to the next, so
 * it outlives the pruning of version 0.
 */
export const ANNOTATION_JOB_MODIFY_INDEX = `${API_GROUP}/job-modify-index`;
export const ANNOTATION_CREATE_INDEX = `${API_GROUP}/create-index`;
/**
 * Annotation on a NomadJob: `<unix nanoseconds>/<generation>`, the submit time of the spec held at that
 * generation, written in the same write as the spec by whoever registers it (the Nomad API, dispatch).
 * Read by jobs/versions.ts `submitTimeOf`: the revision of a version must be byte-identical
 * whether the API or the reconciler records it, so neither takes the time from its own clock.
 */
export const ANNOTATION_SUBMIT_TIME = `${API_GROUP}/submit-time`;

// ## Translated objects (src/translate)

/** Annotation on every workload: the Nomad job type it runs (`service`, `batch`, …). */
export const ANNOTATION_JOB_TYPE = `${API_GROUP}/job-type`;
/** Annotation on CronJobs: the Nomad cron spec the schedule was made from. */
export const ANNOTATION_CRON = `${API_GROUP}/cron`;
/** Pod annotation: the group's merged job + group meta, as a JSON object. */
export const ANNOTATION_META = `${API_GROUP}/meta`;
/** Pod annotation: each task's own meta, as JSON `{task: {key: value}}`. */
export const ANNOTATION_TASK_META = `${API_GROUP}/task-meta`;
/** Pod annotation: the docker labels of each task, as JSON `{task: {label: value}}`. */
export const ANNOTATION_DOCKER_LABELS = `${API_GROUP}/docker-labels`;
/** Pod annotation: the name of the leader task. */
export const ANNOTATION_LEADER = `${API_GROUP}/leader`;
/** Pod annotation: container name → task name, as JSON, when any task name is not a container name. */
export const ANNOTATION_CONTAINERS = `${API_GROUP}/containers`;
/** Annotation on a csi volume's claim: the Nomad CSI volume ID it stands for. */
export const ANNOTATION_CSI_SOURCE = `${API_GROUP}/csi-source`;
/** Annotation: the exact Nomad service name of a Service. */
export const ANNOTATION_SERVICE_NAME = `${API_GROUP}/service-name`;
/** Annotation: the service's tags, as a JSON array (in order, without duplicates). */
export const ANNOTATION_SERVICE_TAGS = `${API_GROUP}/service-tags`;
/** Annotation: the service's meta, as a JSON object with sorted keys. */
export const ANNOTATION_SERVICE_META = `${API_GROUP}/service-meta`;
/**
 * Label of a Service shared by the jobs of its namespace: its own name. Such a Service carries no job
 * identity; every job declaring it owns it through a (non-controller) ownerReference.
 */
export const LABEL_SERVICE = `${API_GROUP}/service`;
/** Prefix of the pod label a Service selects (`service.nomadoperator.dev/<Service name>`). */
export const SERVICE_LABEL_PREFIX = `service.${API_GROUP}/`;

// ## Reconciler bookkeeping (src/controller)

/** Annotation: hash of the desired object as last applied; an equal hash on the live object means nothing to apply. */
export const ANNOTATION_APPLIED_HASH = `${API_GROUP}/applied-hash`;
/**
 * Prefix of the annotation holding one job's hash of its last applied intent for a shared Service
 * (`applied.nomadoperator.dev/<NomadJob name>`, controller/shared-services.ts).
 */
export const APPLIED_ANNOTATION_PREFIX = `applied.${API_GROUP}/`;
/**
 * Prefix of the annotation holding one job's wish for a shared Service's `publishNotReadyAddresses`
 * (`publish-not-ready.nomadoperator.dev/<NomadJob name>`: "true" or "false"), so that every job
 * declaring the Service applies the same value (controller/shared-services.ts).
 */
export const PUBLISH_NOT_READY_ANNOTATION_PREFIX = `publish-not-ready.${API_GROUP}/`;
/** Label on the evaluations ConfigMap (besides the job's identity labels): `evaluations`. */
export const LABEL_RECORD = `${API_GROUP}/record`;
/** Annotation on a child NomadJob that another controller runs: `cronjob` for CronJob-launched ones. */
export const ANNOTATION_LAUNCHED_BY = `${API_GROUP}/launched-by`;
/** Annotation on a CronJob-launched child: the Kubernetes Job it was recorded for. */
export const ANNOTATION_CRON_JOB = `${API_GROUP}/cron-job`;

// ## Nomad API bookkeeping (src/api)

/** Label on submission ConfigMaps: the NomadJob name (no managed-by label: the controller ignores them). */
export const LABEL_SUBMISSION_OF = `${API_GROUP}/submission-of`;
/** Annotation on a NomadJob: its groups' scaling events (JSON). */
export const ANNOTATION_SCALING_EVENTS = `${API_GROUP}/scaling-events`;
/** Annotation on a NomadJob: the EvalID of the last forced evaluation (its write re-enqueues the job). */
export const ANNOTATION_EVALUATE = `${API_GROUP}/evaluate`;
/** Annotations on a Kubernetes namespace: the Nomad namespace's fields Kubernetes has no place for. */
export const ANNOTATION_NAMESPACE_DESCRIPTION = `${API_GROUP}/namespace-description`;
export const ANNOTATION_NAMESPACE_META = `${API_GROUP}/namespace-meta`;
export const ANNOTATION_NAMESPACE_CAPABILITIES = `${API_GROUP}/namespace-capabilities`;
export const ANNOTATION_NAMESPACE_REQUIRED_CLAIMS = `${API_GROUP}/namespace-required-extra-claims`;
export const ANNOTATION_NAMESPACE_OPTIONAL_CLAIMS = `${API_GROUP}/namespace-optional-extra-claims`;
