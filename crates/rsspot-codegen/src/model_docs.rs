//! The model's documentation, declared once and written in our own words (the contract carries
//! no upstream prose): a paragraph per generated type and a line per field, saying what it holds,
//! its unit (USD per node-hour, vCPUs, nodes), who sets it (read-only, immutable or updatable)
//! and, for status strings, the values seen. Sources: API-NOTES sections 3-7 and 9.4.
//!
//! Applied to the spec progenitor sees, after [`model_types`](crate::model_types): a doc becomes
//! the schema's `description`, which the generator turns into the field's doc and, for an inline
//! object, the doc of the type it generates for it. A declared path that is gone fails the
//! generation; the codegen tests fail for any generated field without a doc.

use serde_json::{Value, json};

use crate::spec::{Fix, fail};

const FIX: &str = "model docs";

/// Fields every kind has, documented alike; `{kind}` stands for the kind's name.
pub const EVERY_KIND: &[(&str, &str)] = &[
    (
        "apiVersion",
        "API group and version of the object, `ngpc.rxt.io/v1`; set on create and never changed.",
    ),
    (
        "kind",
        "Kind of the object, `{kind}`; set on create and never changed.",
    ),
    (
        "metadata",
        "Name, namespace, labels and the service's bookkeeping of the object (see `ObjectMeta`).",
    ),
];

/// The list type of every kind (`{kind}List`): its doc (path `""`) and its fields.
pub const EVERY_LIST: &[(&str, &str)] = &[
    (
        "",
        "One page of {kind} objects, as a list call returns it; `metadata.continue` names the next page when there is one.",
    ),
    (
        "apiVersion",
        "API group and version of the list, `ngpc.rxt.io/v1`.",
    ),
    ("kind", "Kind of the list, `{kind}List`."),
    (
        "metadata",
        "Paging metadata: the resource version the page was read at and the token of the next page.",
    ),
    ("items", "The {kind} objects of this page."),
];

/// The docs: schema (under `components.schemas`), path and text. The path is dot-separated
/// properties, `[]` after a name for its array items and `{}` for its map values; `""` is the
/// schema itself. A doc on an inline object documents both the field and the type generated for
/// the object.
#[rustfmt::skip]
pub const DOCS: &[(&str, &str, &str)] = &[
    // CloudSpace
    ("CloudSpace", "", "A CloudSpace: a managed Kubernetes cluster in one region, whose control plane the service runs and whose worker nodes come from its node pools (spot, on-demand or autopilot). It lives in the organization's namespace; its name is chosen by the user (a lowercase DNS label of at most 63 characters) and never changes."),
    ("CloudSpace", "spec", "What the user asks of a CloudSpace: its region, Kubernetes version, network plugin and control-plane options. `region`, `deploymentType` and `cni` are fixed at create; `kubernetesVersion` (an upgrade), `HAControlPlane` and `webhook` can be updated; the pool lists are kept by the service."),
    ("CloudSpace", "spec.HAControlPlane", "Whether the control plane is highly available (several control-plane servers, a paid option); default `false`. Updatable."),
    ("CloudSpace", "spec.bidRequests", "Names of the CloudSpace's spot node pools. Read-only: the service keeps it as pools come and go."),
    ("CloudSpace", "spec.cloud", "Backing cloud of a first-generation (`gen1`) deployment; default `default`, unused by `gen2`."),
    ("CloudSpace", "spec.clusterRef", "The cluster object behind the CloudSpace inside the service (a Kubernetes object reference). Read-only."),
    ("CloudSpace", "spec.clusterRef.apiVersion", "API group and version of the referenced cluster object."),
    ("CloudSpace", "spec.clusterRef.fieldPath", "Field inside the referenced object, when the reference points into one; usually empty."),
    ("CloudSpace", "spec.clusterRef.kind", "Kind of the referenced cluster object (`Cluster` for `gen2`, `QbertCluster` for `gen1`)."),
    ("CloudSpace", "spec.clusterRef.name", "Name of the referenced cluster object."),
    ("CloudSpace", "spec.clusterRef.namespace", "Namespace of the referenced cluster object."),
    ("CloudSpace", "spec.clusterRef.resourceVersion", "Resource version of the referenced object when the reference was taken."),
    ("CloudSpace", "spec.clusterRef.uid", "Unique id of the referenced cluster object."),
    ("CloudSpace", "spec.cni", "Container network plugin: `calico` (what clients choose by default), `cilium`, or `byocni` to bring your own. Treat as immutable."),
    ("CloudSpace", "spec.deploymentType", "Infrastructure generation, `gen1` or `gen2` (the default). Immutable: the service refuses to change it."),
    ("CloudSpace", "spec.kubernetesVersion", "Kubernetes version of the cluster, for example `1.31.1`. Setting a newer one starts an upgrade (phase `Upgrading`, `status.upgradePhase`)."),
    ("CloudSpace", "spec.networks", "Networks attached to the cluster. Read-only."),
    ("CloudSpace", "spec.networks[]", "A network attached to the cluster."),
    ("CloudSpace", "spec.networks[].name", "Name of the network."),
    ("CloudSpace", "spec.networks[].subnet", "Subnet of the network."),
    ("CloudSpace", "spec.onDemandRequests", "Names of the CloudSpace's on-demand node pools. Read-only: the service keeps it as pools come and go."),
    ("CloudSpace", "spec.region", "Name of the `Region` the cluster runs in, for example `us-central-dfw-1`. Required; immutable."),
    ("CloudSpace", "spec.servers", "Server requests of the kind used before node pools existed (class and count). Read-only; legacy."),
    ("CloudSpace", "spec.servers[]", "A legacy server request: a server class and how many servers of it."),
    ("CloudSpace", "spec.servers[].class", "Name of the server class requested."),
    ("CloudSpace", "spec.servers[].count", "Number of servers of that class (nodes)."),
    ("CloudSpace", "spec.type", "Legacy type marker of the CloudSpace. Read-only."),
    ("CloudSpace", "spec.webhook", "URL (`http://` or `https://`) the service calls to announce that a spot node is about to be pre-empted, in the style of a Slack incoming webhook. Updatable."),
    ("CloudSpace", "spec.gpuEnabled", "Whether the CloudSpace is prepared for GPU server classes (not in the published contract; the official Go SDK sends it)."),
    ("CloudSpace", "status", "What the service reports about a CloudSpace: its lifecycle phase and health, the API server endpoint, the Kubernetes version it runs, and the bids and servers behind it. Read-only; absent until the service first handles the object."),
    ("CloudSpace", "status.APIServerEndpoint", "Host (and port) of the cluster's Kubernetes API server, without a scheme: prefix `https://` to use it. Empty until the control plane is up."),
    ("CloudSpace", "status.assignedServers", "Servers assigned to the cluster, keyed by server id."),
    ("CloudSpace", "status.assignedServers{}", "A server assigned to the cluster, as the service reports it."),
    ("CloudSpace", "status.assignedServers{}.IP", "IP address of the server."),
    ("CloudSpace", "status.assignedServers{}.clusterRole", "Role the server plays in the cluster (control plane or worker)."),
    ("CloudSpace", "status.assignedServers{}.error", "Why the server failed, when it did; empty otherwise."),
    ("CloudSpace", "status.assignedServers{}.serverClassName", "Name of the server's class."),
    ("CloudSpace", "status.assignedServers{}.serverName", "Name of the server."),
    ("CloudSpace", "status.assignedServers{}.serverType", "Type of the server as the service names it."),
    ("CloudSpace", "status.assignedServers{}.state", "Provisioning state of the server as the service reports it."),
    ("CloudSpace", "status.bids", "The CloudSpace's bids, one per node pool, keyed by pool name."),
    ("CloudSpace", "status.bids{}", "One bid of the CloudSpace: a node pool and the nodes it has won."),
    ("CloudSpace", "status.bids{}.bidName", "Name of the node pool that bids."),
    ("CloudSpace", "status.bids{}.type", "Kind of the bid (a spot or an on-demand pool)."),
    ("CloudSpace", "status.bids{}.wonCount", "Nodes the pool has won (nodes)."),
    ("CloudSpace", "status.cloudspaceClassName", "Name of the cluster class the service built the CloudSpace from (`gen2` only)."),
    ("CloudSpace", "status.clusterRef", "State of the cluster object behind the CloudSpace: a reference to it, its status and the reason."),
    ("CloudSpace", "status.clusterRef.cluster", "The cluster object behind the CloudSpace (a Kubernetes object reference)."),
    ("CloudSpace", "status.clusterRef.cluster.apiVersion", "API group and version of the referenced cluster object."),
    ("CloudSpace", "status.clusterRef.cluster.fieldPath", "Field inside the referenced object, when the reference points into one; usually empty."),
    ("CloudSpace", "status.clusterRef.cluster.kind", "Kind of the referenced cluster object (`Cluster` for `gen2`, `QbertCluster` for `gen1`)."),
    ("CloudSpace", "status.clusterRef.cluster.name", "Name of the referenced cluster object."),
    ("CloudSpace", "status.clusterRef.cluster.namespace", "Namespace of the referenced cluster object."),
    ("CloudSpace", "status.clusterRef.cluster.resourceVersion", "Resource version of the referenced object when the reference was taken."),
    ("CloudSpace", "status.clusterRef.cluster.uid", "Unique id of the referenced cluster object."),
    ("CloudSpace", "status.clusterRef.reason", "Why the cluster object is in its state, when the service says."),
    ("CloudSpace", "status.clusterRef.status", "Status of the cluster object as the service reports it."),
    ("CloudSpace", "status.conditions", "Detailed conditions of the cluster in the Cluster API style, one per aspect."),
    ("CloudSpace", "status.conditions[]", "One condition: an aspect of the cluster, whether it holds, since when and why."),
    ("CloudSpace", "status.conditions[].lastTransitionTime", "When the condition last changed (RFC 3339)."),
    ("CloudSpace", "status.conditions[].message", "Human-readable detail of the condition."),
    ("CloudSpace", "status.conditions[].reason", "Machine-readable reason of the last change, in CamelCase."),
    ("CloudSpace", "status.conditions[].severity", "How serious the condition is while it does not hold (`Error`, `Warning` or `Info`)."),
    ("CloudSpace", "status.conditions[].status", "Whether the condition holds: `True`, `False` or `Unknown`."),
    ("CloudSpace", "status.conditions[].type", "The aspect the condition describes, for example `Ready`."),
    ("CloudSpace", "status.currentKubernetesVersion", "Kubernetes version the cluster runs now; differs from `spec.kubernetesVersion` while an upgrade runs."),
    ("CloudSpace", "status.firstReadyTimestamp", "When the CloudSpace first became ready (RFC 3339); absent before."),
    ("CloudSpace", "status.health", "Overall health: whether the API server works and nodes are available. The values are not published; `Healthy` and `Unhealthy` are expected."),
    ("CloudSpace", "status.pendingAllocations", "Server allocations still outstanding, keyed by allocation."),
    ("CloudSpace", "status.pendingAllocations{}", "An outstanding allocation: servers of one class requested for a pool, and how many are allocated so far."),
    ("CloudSpace", "status.pendingAllocations{}.allocatedCount", "Servers allocated so far (nodes)."),
    ("CloudSpace", "status.pendingAllocations{}.bidName", "Name of the node pool the allocation is for."),
    ("CloudSpace", "status.pendingAllocations{}.bidType", "Kind of that pool (spot or on-demand)."),
    ("CloudSpace", "status.pendingAllocations{}.count", "Servers requested (nodes)."),
    ("CloudSpace", "status.pendingAllocations{}.serverClassName", "Name of the server class requested."),
    ("CloudSpace", "status.phase", "Lifecycle phase: `Provisioning`, `Ready`, `Upgrading`, `NoWinningBids`, `Error` or `Deleting`. Only `Ready` is confirmed by the official tools; expect others."),
    ("CloudSpace", "status.reason", "Human-readable reason of the current phase."),
    ("CloudSpace", "status.sshSecretName", "Name of the secret holding the SSH key of the cluster's servers."),
    ("CloudSpace", "status.upgradePhase", "Progress of the last Kubernetes version upgrade; the values are not published."),
    // SpotNodePool
    ("SpotNodePool", "", "A spot node pool: worker nodes of one server class for one CloudSpace, won at auction. The pool bids `spec.bidPrice` USD per node-hour; while the market price stays at or below the bid its nodes run and are billed at the market price, and when the market rises above it they are pre-empted after a few minutes' notice. The name is a lowercase UUID."),
    ("SpotNodePool", "spec", "What the user asks of a spot node pool: its CloudSpace and server class (both immutable), the node count or autoscaling bounds, the bid, and labels, annotations and taints for its nodes (all updatable)."),
    ("SpotNodePool", "spec.autoscaling", "Autoscaling of the node count between `minNodes` and `maxNodes`; a CloudSpace allows one autoscaling spot pool. Updatable."),
    ("SpotNodePool", "spec.autoscaling.enabled", "Whether the node count follows the workload; default `false`, when `desired` applies."),
    ("SpotNodePool", "spec.autoscaling.maxNodes", "Largest node count the autoscaler may reach (nodes); at least `minNodes`."),
    ("SpotNodePool", "spec.autoscaling.minNodes", "Smallest node count the autoscaler keeps (nodes); at least 1."),
    ("SpotNodePool", "spec.bidPrice", "Highest price the pool pays, in USD per node-hour: positive, at most three decimals, and at least the class's minimum bid and market price. Nodes are billed at the market price while it stays at or below the bid. Required; updatable."),
    ("SpotNodePool", "spec.cloudSpace", "Name of the CloudSpace (same namespace) the pool's nodes join. Required; immutable."),
    ("SpotNodePool", "spec.customAnnotations", "Annotations put on every node of the pool. Updatable."),
    ("SpotNodePool", "spec.customLabels", "Labels put on every node of the pool. Updatable."),
    ("SpotNodePool", "spec.customTaints", "Taints put on every node of the pool. Updatable."),
    ("SpotNodePool", "spec.customTaints[]", "A Kubernetes taint for the pool's nodes."),
    ("SpotNodePool", "spec.customTaints[].effect", "What the taint does to pods that do not tolerate it: `NoSchedule`, `PreferNoSchedule` or `NoExecute`."),
    ("SpotNodePool", "spec.customTaints[].key", "Key of the taint."),
    ("SpotNodePool", "spec.customTaints[].timeAdded", "When the taint was added (RFC 3339); usually unset."),
    ("SpotNodePool", "spec.customTaints[].value", "Value of the taint; may be empty."),
    ("SpotNodePool", "spec.desired", "Number of nodes wanted (nodes); required even with autoscaling. Updatable: scaling the pool sets it."),
    ("SpotNodePool", "spec.serverClass", "Name of the `ServerClass` of the pool's nodes, in the CloudSpace's region. Required; immutable."),
    ("SpotNodePool", "status", "What the service reports about a spot node pool: the state of its bid and the nodes won. Read-only; absent until the service first handles the bid."),
    ("SpotNodePool", "status.bidStatus", "State of the pool's bid: `Pending`, `Fulfilled`, `Lost`, or `SpeedBump Hit` (the node limit of a new account)."),
    ("SpotNodePool", "status.customMetadataStatus", "Which custom labels, annotations and taints are applied to the pool's nodes now."),
    ("SpotNodePool", "status.customMetadataStatus.annotations", "Keys of the custom annotations applied to the nodes."),
    ("SpotNodePool", "status.customMetadataStatus.labels", "Keys of the custom labels applied to the nodes."),
    ("SpotNodePool", "status.customMetadataStatus.taints", "Keys of the custom taints applied to the nodes."),
    ("SpotNodePool", "status.wonCount", "Nodes the pool has won at auction (nodes)."),
    // OnDemandNodePool
    ("OnDemandNodePool", "", "An on-demand node pool: worker nodes of one server class for one CloudSpace, reserved at the class's fixed on-demand price (`ServerClass` `spec.onDemandPricing`) and never pre-empted. The name is a lowercase UUID."),
    ("OnDemandNodePool", "spec", "What the user asks of an on-demand node pool: its CloudSpace and server class (both immutable), the node count, and labels, annotations and taints for its nodes (all updatable)."),
    ("OnDemandNodePool", "spec.autoscaling", "Autoscaling of the node count between `minNodes` and `maxNodes` (not in the published contract; the official Go SDK sends it). Updatable."),
    ("OnDemandNodePool", "spec.autoscaling.enabled", "Whether the node count follows the workload; default `false`, when `desired` applies."),
    ("OnDemandNodePool", "spec.autoscaling.maxNodes", "Largest node count the autoscaler may reach (nodes); at least `minNodes`."),
    ("OnDemandNodePool", "spec.autoscaling.minNodes", "Smallest node count the autoscaler keeps (nodes); at least 1."),
    ("OnDemandNodePool", "spec.cloudSpace", "Name of the CloudSpace (same namespace) the pool's nodes join. Required; immutable."),
    ("OnDemandNodePool", "spec.customAnnotations", "Annotations put on every node of the pool. Updatable."),
    ("OnDemandNodePool", "spec.customLabels", "Labels put on every node of the pool. Updatable."),
    ("OnDemandNodePool", "spec.customTaints", "Taints put on every node of the pool. Updatable."),
    ("OnDemandNodePool", "spec.customTaints[]", "A Kubernetes taint for the pool's nodes."),
    ("OnDemandNodePool", "spec.customTaints[].effect", "What the taint does to pods that do not tolerate it: `NoSchedule`, `PreferNoSchedule` or `NoExecute`."),
    ("OnDemandNodePool", "spec.customTaints[].key", "Key of the taint."),
    ("OnDemandNodePool", "spec.customTaints[].timeAdded", "When the taint was added (RFC 3339); usually unset."),
    ("OnDemandNodePool", "spec.customTaints[].value", "Value of the taint; may be empty."),
    ("OnDemandNodePool", "spec.desired", "Number of nodes wanted (nodes). Required; updatable: scaling the pool sets it."),
    ("OnDemandNodePool", "spec.serverClass", "Name of the `ServerClass` of the pool's nodes, in the CloudSpace's region. Required; immutable."),
    ("OnDemandNodePool", "status", "What the service reports about an on-demand node pool: the state of its reservation and the nodes reserved. Read-only; absent until the service first handles the pool."),
    ("OnDemandNodePool", "status.customMetadataStatus", "Which custom labels, annotations and taints are applied to the pool's nodes now."),
    ("OnDemandNodePool", "status.customMetadataStatus.annotations", "Keys of the custom annotations applied to the nodes."),
    ("OnDemandNodePool", "status.customMetadataStatus.labels", "Keys of the custom labels applied to the nodes."),
    ("OnDemandNodePool", "status.customMetadataStatus.taints", "Keys of the custom taints applied to the nodes."),
    ("OnDemandNodePool", "status.reservedCount", "Nodes reserved for the pool (nodes)."),
    ("OnDemandNodePool", "status.reservedStatus", "State of the pool's reservation. The values are not published; `Fulfilled` is seen, and the spot vocabulary (`Pending`, ...) is expected."),
    // AutopilotNodePool
    ("AutopilotNodePool", "", "An autopilot node pool: a number of vCPUs for one CloudSpace, which the service fills itself by combining the cheapest qualifying server classes into child spot node pools, bidding at most `spec.budgetPerHour`, and re-packing as nodes are won or lost. Fulfilment is asynchronous: compare `status.managedVCPUs` with `status.targetVCPUs`. The name is a lowercase UUID."),
    ("AutopilotNodePool", "spec", "What the user asks of an autopilot node pool: a vCPU target for one CloudSpace, the size and memory ratio of its nodes, and the highest bid per node-hour. `region` and `cloudSpace` are immutable; everything else is updatable."),
    ("AutopilotNodePool", "spec.allocationStrategy", "How the service picks server classes; only `LowestPrice` is accepted. Updatable."),
    ("AutopilotNodePool", "spec.budgetPerHour", "Highest bid per node-hour, in USD (a bid ceiling, not a spending cap): positive, at most three decimals. Required; updatable."),
    ("AutopilotNodePool", "spec.cloudSpace", "Name of the CloudSpace (same namespace) the nodes join. Required; immutable."),
    ("AutopilotNodePool", "spec.customAnnotations", "Annotations put on every node of the pool. Updatable."),
    ("AutopilotNodePool", "spec.customLabels", "Labels put on every node of the pool. Updatable."),
    ("AutopilotNodePool", "spec.customTaints", "Taints put on every node of the pool. Updatable."),
    ("AutopilotNodePool", "spec.customTaints[]", "A Kubernetes taint for the pool's nodes."),
    ("AutopilotNodePool", "spec.customTaints[].effect", "What the taint does to pods that do not tolerate it: `NoSchedule`, `PreferNoSchedule` or `NoExecute`."),
    ("AutopilotNodePool", "spec.customTaints[].key", "Key of the taint."),
    ("AutopilotNodePool", "spec.customTaints[].value", "Value of the taint; may be empty."),
    ("AutopilotNodePool", "spec.memoryPerVCPU", "Memory per vCPU the nodes must have, in GB: `2`, `4`, `8`, or `any` (the default). Updatable."),
    ("AutopilotNodePool", "spec.region", "Name of the `Region` the pool runs in, the CloudSpace's. Immutable."),
    ("AutopilotNodePool", "spec.vcpu", "The vCPU target of the pool. Updatable."),
    ("AutopilotNodePool", "spec.vcpu.total", "vCPUs to run across all nodes (vCPUs): a positive multiple of the smallest usable node."),
    ("AutopilotNodePool", "spec.vcpuPerNode", "Bounds on the size of each node, in vCPUs; both optional. Updatable."),
    ("AutopilotNodePool", "spec.vcpuPerNode.max", "Largest node to use (vCPUs per node)."),
    ("AutopilotNodePool", "spec.vcpuPerNode.min", "Smallest node to use (vCPUs per node)."),
    ("AutopilotNodePool", "status", "What the service reports about an autopilot node pool: the target and what is won so far, the current allocations, the state of each server class tried and a history of changes. Read-only."),
    ("AutopilotNodePool", "status.allocations", "The current allocations: one per server class in use, each held by a child spot node pool."),
    ("AutopilotNodePool", "status.allocations[]", "One allocation: a server class, the child spot node pool holding it, its prices and its node counts."),
    ("AutopilotNodePool", "status.allocations[].bidPricePerHour", "Price the child pool bids, in USD per node-hour."),
    ("AutopilotNodePool", "status.allocations[].desiredNodes", "Nodes asked of the class (nodes)."),
    ("AutopilotNodePool", "status.allocations[].marketPricePerHour", "Market price of the class, in USD per node-hour."),
    ("AutopilotNodePool", "status.allocations[].memoryGBPerNode", "Memory per node, in GB (a decimal string)."),
    ("AutopilotNodePool", "status.allocations[].serverClass", "Name of the server class."),
    ("AutopilotNodePool", "status.allocations[].spotNodePool", "Name of the child spot node pool holding the allocation."),
    ("AutopilotNodePool", "status.allocations[].vcpuPerNode", "vCPUs per node of the class (vCPUs)."),
    ("AutopilotNodePool", "status.allocations[].wonNodes", "Nodes won so far (nodes)."),
    ("AutopilotNodePool", "status.allocationsHistory", "Changes of the allocations over time."),
    ("AutopilotNodePool", "status.allocationsHistory[]", "One change of an allocation: when, which class and child pool, what happened and why."),
    ("AutopilotNodePool", "status.allocationsHistory[].bidPricePerHour", "Bid of the child pool then, in USD per node-hour (a decimal string); may be absent."),
    ("AutopilotNodePool", "status.allocationsHistory[].desiredNodes", "Nodes asked then (nodes)."),
    ("AutopilotNodePool", "status.allocationsHistory[].event", "What happened; the values are not published."),
    ("AutopilotNodePool", "status.allocationsHistory[].reason", "Why it happened, when the service says."),
    ("AutopilotNodePool", "status.allocationsHistory[].serverClass", "Name of the server class."),
    ("AutopilotNodePool", "status.allocationsHistory[].spotNodePool", "Name of the child spot node pool."),
    ("AutopilotNodePool", "status.allocationsHistory[].time", "When it happened (RFC 3339)."),
    ("AutopilotNodePool", "status.allocationsHistory[].wonNodes", "Nodes won then (nodes)."),
    ("AutopilotNodePool", "status.classStates", "The state of each server class the service has tried for the pool."),
    ("AutopilotNodePool", "status.classStates[]", "The state of one server class: the outcome of the last attempt to win it, and until when the service leaves it alone after a failure."),
    ("AutopilotNodePool", "status.classStates[].cooldownUntil", "Until when the service does not try the class again (RFC 3339); absent when it may."),
    ("AutopilotNodePool", "status.classStates[].lastAttemptTime", "When the service last tried the class (RFC 3339)."),
    ("AutopilotNodePool", "status.classStates[].lastOutcome", "Outcome of that attempt; the values are not published."),
    ("AutopilotNodePool", "status.classStates[].serverClass", "Name of the server class."),
    ("AutopilotNodePool", "status.managedMemoryGB", "Memory of the nodes won so far, in GB (a decimal string)."),
    ("AutopilotNodePool", "status.managedVCPUs", "vCPUs won so far across the child pools (vCPUs); compare with `targetVCPUs`."),
    ("AutopilotNodePool", "status.phase", "Lifecycle phase; the values are not published, so track `managedVCPUs` against `targetVCPUs` instead."),
    ("AutopilotNodePool", "status.targetVCPUs", "vCPUs the service works toward (vCPUs), that is `spec.vcpu.total`."),
    // VmSshKey
    ("VmSshKey", "", "An SSH public key registered in the organization, which VM CloudSpaces install on their virtual machines."),
    ("VmSshKey", "spec", "The key and its description."),
    ("VmSshKey", "spec.description", "Free-text description of the key."),
    ("VmSshKey", "spec.publicKey", "The public key in OpenSSH format, for example `ssh-ed25519 AAAA... user@host`."),
    ("VmSshKey", "status", "What the service found when checking the key. Read-only."),
    ("VmSshKey", "status.fingerprint", "Fingerprint of the key, as the service computes it."),
    ("VmSshKey", "status.validated", "Whether the service accepted the key as a valid public key."),
    // Region
    ("Region", "", "A region where Spot runs servers, for example `us-central-dfw-1`. Regions are cluster-scoped and read-only: they are listed, never created."),
    ("Region", "spec", "Where the region is and which cloud backs it. Read-only."),
    ("Region", "spec.country", "Country of the region, as an ISO 3166-1 alpha-3 code (three letters, for example `USA`)."),
    ("Region", "spec.description", "Human-readable location, for example `US Central, Dallas Fort Worth, TX`."),
    ("Region", "spec.generation", "Infrastructure generation of the region, `v1` or `v2` (not in the published contract)."),
    ("Region", "spec.provider", "The cloud that backs the region."),
    ("Region", "spec.provider.providerRegionName", "The backing cloud's own code of the region, for example `DFW`."),
    ("Region", "spec.provider.providerType", "Type of the backing cloud, for example `ospc` (OpenStack)."),
    // ServerClass
    ("ServerClass", "", "A server class: one kind of server (vCPUs, memory, disk, GPU) in one region, with its on-demand price, its minimum bid and its spot market. Server classes are cluster-scoped and read-only; the name carries the region, for example `gp.vs1.medium-dfw`."),
    ("ServerClass", "spec", "What a server of the class has and costs: its resources, its region, its on-demand price and its minimum bid. Read-only."),
    ("ServerClass", "spec.availability", "Whether the class can be ordered: `available`, or `deprecated` for a class being retired."),
    ("ServerClass", "spec.category", "Family of the class, for example `General Purpose`, `Compute Heavy`, `Memory Heavy`, `Bare Metal` or `GPU`."),
    ("ServerClass", "spec.displayName", "Human-readable name, for example `General Virtual Server.Medium`."),
    ("ServerClass", "spec.flavorType", "Whether the servers are virtual machines (`virtual`) or bare metal."),
    ("ServerClass", "spec.minBidPricePerHour", "Lowest bid the class accepts, in USD per node-hour (its reserve price); empty for a class that cannot be bid on. A bid must also reach the market price."),
    ("ServerClass", "spec.onDemandPricing", "The fixed price of the class for on-demand node pools."),
    ("ServerClass", "spec.onDemandPricing.cost", "On-demand price in USD per `interval`, that is per node-hour."),
    ("ServerClass", "spec.onDemandPricing.interval", "Billing interval of `cost`, as a Go duration (`1h`)."),
    ("ServerClass", "spec.provider", "The backing cloud's flavor behind the class."),
    ("ServerClass", "spec.provider.providerFlavorID", "The backing cloud's flavor id, for example `compute1-4`."),
    ("ServerClass", "spec.provider.providerType", "Type of the backing cloud, for example `ospc` (OpenStack)."),
    ("ServerClass", "spec.region", "Name of the `Region` the class is sold in."),
    ("ServerClass", "spec.resources", "What one server of the class has; the values are strings as the service writes them."),
    ("ServerClass", "spec.resources.cpu", "vCPUs per server, written as a number, for example `2`."),
    ("ServerClass", "spec.resources.disk", "Local disk per server with its unit, for example `100GB`; absent on bare metal."),
    ("ServerClass", "spec.resources.gpu", "GPU of the server, when it has one."),
    ("ServerClass", "spec.resources.memory", "Memory per server with its unit, for example `7.5GB`."),
    ("ServerClass", "status", "The class's spot market now: servers available and in use, and the prices. Read-only."),
    ("ServerClass", "status.available", "Servers of the class available to provision now (servers)."),
    ("ServerClass", "status.capacity", "Servers of the class in all, online and offline (servers)."),
    ("ServerClass", "status.lastAuction", "Sequence number of the last auction run for the class (a counter, not a time)."),
    ("ServerClass", "status.reserved", "Servers of the class in use (servers)."),
    ("ServerClass", "status.spotPricing", "Spot prices of the class."),
    ("ServerClass", "status.spotPricing.hammerPricePerHour", "Price billed now to winning bids, in USD per node-hour."),
    ("ServerClass", "status.spotPricing.marketPricePerHour", "Market price now, in USD per node-hour; a lower bid loses."),
    // Kubernetes metadata
    ("ObjectMeta", "", "The metadata every object carries (Kubernetes `ObjectMeta`): its name and namespace, the labels and annotations users set, and the bookkeeping the service keeps (uid, resource version, timestamps)."),
    ("ObjectMeta", "annotations", "Free-form annotations, key to value. Marked read-only in the contract but writable in practice."),
    ("ObjectMeta", "creationTimestamp", "When the object was created (RFC 3339, UTC). Set by the service."),
    ("ObjectMeta", "deletionGracePeriodSeconds", "Seconds the object has to finish deleting, once deletion started. Set by the service."),
    ("ObjectMeta", "deletionTimestamp", "When deletion was requested (RFC 3339); present only while the object is being deleted. Set by the service."),
    ("ObjectMeta", "finalizers", "Tasks that must finish before the service removes the object. Set by the service."),
    ("ObjectMeta", "generateName", "Prefix from which the service would generate a name; Spot objects are named by the client."),
    ("ObjectMeta", "generation", "Number of changes of the object's spec so far. Set by the service."),
    ("ObjectMeta", "labels", "Labels, key to value; lists can filter on them. Node pools carry `ngpc.rxt.io/cloudspace` naming their CloudSpace. Marked read-only in the contract but writable in practice."),
    ("ObjectMeta", "managedFields", "Which client last set which fields (server-side bookkeeping). Set by the service."),
    ("ObjectMeta", "name", "Name of the object, unique in its namespace (among all objects of the kind for regions and server classes). Set on create; immutable."),
    ("ObjectMeta", "namespace", "Namespace of the object: the organization's (`org-...`); empty for regions and server classes. Immutable."),
    ("ObjectMeta", "ownerReferences", "Objects that own this one. Set by the service."),
    ("ObjectMeta", "resourceVersion", "Opaque version of the object, changed by every write; a replace carrying an older one fails with a conflict. Set by the service."),
    ("ObjectMeta", "selfLink", "API path of the object (deprecated by Kubernetes; often empty). Set by the service."),
    ("ObjectMeta", "uid", "Unique id of the object, never reused. Set by the service."),
    ("ListMeta", "", "Metadata of a list answer (Kubernetes `ListMeta`): the resource version it was read at and the token to continue paging."),
    ("ListMeta", "continue", "Token that fetches the next page; empty on the last page."),
    ("ListMeta", "remainingItemCount", "Number of objects after this page, when the service counts them."),
    ("ListMeta", "resourceVersion", "Version of the collection the page was read at."),
    ("ListMeta", "selfLink", "API path of the list (deprecated by Kubernetes; often empty)."),
    ("ManagedFieldsEntry", "", "One entry of the server-side record of field ownership (Kubernetes `managedFields`): which client last set which fields, by which operation. Bookkeeping of the service; rarely needed."),
    ("ManagedFieldsEntry", "apiVersion", "API version of the fields the entry covers."),
    ("ManagedFieldsEntry", "fieldsType", "Format of `fieldsV1`, always `FieldsV1`."),
    ("ManagedFieldsEntry", "fieldsV1", "The fields the client owns."),
    ("ManagedFieldsEntry", "manager", "Name of the client that wrote the fields, for example `kubectl`."),
    ("ManagedFieldsEntry", "operation", "How the fields were written: `Apply` or `Update`."),
    ("ManagedFieldsEntry", "subresource", "Subresource written (such as `status`); empty for the object itself."),
    ("ManagedFieldsEntry", "time", "When the entry last changed (RFC 3339)."),
    ("FieldsV1", "", "A set of fields as a Kubernetes field tree, kept as JSON: each `f:<name>` key is a field, for example `{\"f:spec\":{\"f:region\":{}}}`."),
    ("OwnerReference", "", "A reference from an object to an object that owns it (Kubernetes garbage collection)."),
    ("OwnerReference", "apiVersion", "API group and version of the owner."),
    ("OwnerReference", "blockOwnerDeletion", "Whether the owner's deletion waits until this object is gone."),
    ("OwnerReference", "controller", "Whether the owner is the object's managing controller."),
    ("OwnerReference", "kind", "Kind of the owner."),
    ("OwnerReference", "name", "Name of the owner."),
    ("OwnerReference", "uid", "Unique id of the owner."),
    ("Time", "", "A point in time as the service writes it: an RFC 3339 timestamp in UTC, to the second (for example `2023-11-14T00:06:24Z`)."),
    ("Status", "", "The Kubernetes `Status` document the service answers a delete and most errors with: whether the call succeeded, a machine-readable reason and a message."),
    ("Status", "apiVersion", "API version of the document, `v1`."),
    ("Status", "code", "HTTP status code of the answer."),
    ("Status", "details", "Which object the answer is about, with the causes of a failure."),
    ("Status", "kind", "Kind of the document, `Status`."),
    ("Status", "message", "Human-readable description of the outcome."),
    ("Status", "metadata", "List metadata; usually empty."),
    ("Status", "reason", "Machine-readable reason of a failure: `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Forbidden`, `BadRequest`, `Unauthorized`, ..."),
    ("Status", "status", "Outcome: `Success` or `Failure`."),
    ("StatusDetails", "", "The object a `Status` is about, and the causes of a failure."),
    ("StatusDetails", "causes", "The causes of a failure, one per field at fault."),
    ("StatusDetails", "group", "API group of the object."),
    ("StatusDetails", "kind", "Kind (or resource name) of the object."),
    ("StatusDetails", "name", "Name of the object."),
    ("StatusDetails", "retryAfterSeconds", "Seconds to wait before retrying, when the service says."),
    ("StatusDetails", "uid", "Unique id of the object."),
    ("StatusCause", "", "One cause of a failure: the field at fault and why."),
    ("StatusCause", "field", "Path of the field at fault, for example `spec.bidPrice`."),
    ("StatusCause", "message", "Human-readable explanation."),
    ("StatusCause", "reason", "Machine-readable cause, for example `FieldValueInvalid`."),
    ("DeleteOptions", "", "Options of a Kubernetes delete. Declared by the contract; no operation sends it."),
    ("DeleteOptions", "apiVersion", "API version of the document."),
    ("DeleteOptions", "dryRun", "`All` to validate the delete without doing it."),
    ("DeleteOptions", "gracePeriodSeconds", "Seconds to wait before deleting."),
    ("DeleteOptions", "kind", "Kind of the document, `DeleteOptions`."),
    ("DeleteOptions", "orphanDependents", "Whether dependents are left in place (deprecated by Kubernetes; use `propagationPolicy`)."),
    ("DeleteOptions", "preconditions", "What the object must match to be deleted."),
    ("DeleteOptions", "propagationPolicy", "How dependents are deleted: `Orphan`, `Background` or `Foreground`."),
    ("Preconditions", "", "What an object must match for a delete to proceed."),
    ("Preconditions", "resourceVersion", "Resource version the object must have."),
    ("Preconditions", "uid", "Unique id the object must have."),
    ("GroupVersionForDiscovery", "", "An API group version, as Kubernetes discovery lists them. Declared by the contract; unused."),
    ("GroupVersionForDiscovery", "groupVersion", "Group and version, `group/version`."),
    ("GroupVersionForDiscovery", "version", "Version alone, for example `v1`."),
    ("Patch", "", "A Kubernetes patch document, kept as JSON. Declared by the contract; rsspot sends typed merge-patch bodies."),
    // Organizations, kubeconfig and tokens
    ("OrganizationList", "", "One page of the organizations the caller belongs to. Each organization's namespace (`metadata.namespace`) is where its CloudSpaces and node pools live."),
    ("OrganizationList", "length", "Number of organizations on this page."),
    ("OrganizationList", "limit", "Page size asked for."),
    ("OrganizationList", "next", "Reference to the next page; empty on the last."),
    ("OrganizationList", "organizations", "The organizations on this page."),
    ("OrganizationList", "organizations[]", "An organization (tenant) the caller belongs to, with the namespace that holds its objects."),
    ("OrganizationList", "organizations[].display_name", "Human-readable name of the organization."),
    ("OrganizationList", "organizations[].id", "Id of the organization: `org_` and 16 letters and digits."),
    ("OrganizationList", "organizations[].metadata", "Where the organization's objects live."),
    ("OrganizationList", "organizations[].metadata.namespace", "Namespace holding the organization's objects (`org-...`), which every namespaced call takes."),
    ("OrganizationList", "organizations[].name", "Short name of the organization."),
    ("OrganizationList", "start", "Index of the first organization on this page, from 0."),
    ("OrganizationList", "total", "Number of organizations on all pages."),
    ("KubeconfigResponse", "", "The answer to a kubeconfig request: a kubeconfig for one CloudSpace, with a status message. It holds credentials: never log it."),
    ("KubeconfigResponse", "data", "The kubeconfig."),
    ("KubeconfigResponse", "data.kubeconfig", "The kubeconfig document (YAML), with the credentials of the cluster. A secret."),
    ("KubeconfigResponse", "message", "Status message of the answer."),
    ("KubeconfigResponse", "status_code", "HTTP status code, repeated in the body."),
    ("ErrorBody", "", "An error of the token or kubeconfig endpoints: an OAuth-style code and its description."),
    ("ErrorBody", "error", "OAuth-style error code, for example `invalid_grant`."),
    ("ErrorBody", "error_description", "Human-readable description of the error."),
    ("OAuthToken", "", "The answer of the token exchange: the tokens for the API and their lifetime. Every token in it is a secret."),
    ("OAuthToken", "access_token", "Opaque access token; not the API's bearer. A secret."),
    ("OAuthToken", "expires_in", "Seconds until the tokens expire (86400, a day)."),
    ("OAuthToken", "id_token", "OpenID Connect id token: the JWT the API takes as bearer, naming the caller's organization. A secret."),
    ("OAuthToken", "scope", "Scopes granted, space-separated."),
    ("OAuthToken", "token_type", "Type of the tokens, `Bearer`."),
];

/// Every doc: [`DOCS`], with [`EVERY_KIND`] and [`EVERY_LIST`] spelled out for each kind.
pub fn entries() -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = DOCS
        .iter()
        .map(|(s, p, d)| (s.to_string(), p.to_string(), d.to_string()))
        .collect();
    for kind in crate::model_types::KINDS {
        for (path, doc) in EVERY_KIND {
            out.push((kind.into(), path.to_string(), doc.replace("{kind}", kind)));
        }
        for (path, doc) in EVERY_LIST {
            out.push((
                format!("{kind}List"),
                path.to_string(),
                doc.replace("{kind}", kind),
            ));
        }
    }
    out
}

/// The object an `allOf` wrapper made by [`describe`] holds, or `v` itself.
fn wrapped(v: &Value) -> &Value {
    match v.get("allOf").and_then(Value::as_array) {
        Some(one) if one.len() == 1 && one[0].get("properties").is_some() => &one[0],
        _ => v,
    }
}

fn wrapped_mut(v: &mut Value) -> &mut Value {
    // `wrapped` found the one element, so the index cannot panic.
    if v.get("properties").is_none() && wrapped(v).get("properties").is_some() {
        &mut v["allOf"][0]
    } else {
        v
    }
}

/// The schema at `path` below `root` (see [`DOCS`] for the syntax).
fn target<'a>(root: &'a mut Value, schema: &str, path: &str) -> Result<&'a mut Value, String> {
    let mut at = root;
    if path.is_empty() {
        return Ok(at);
    }
    for part in path.split('.') {
        at = wrapped_mut(at);
        let (name, inner) = match (part.strip_suffix("[]"), part.strip_suffix("{}")) {
            (Some(n), _) => (n, Some("items")),
            (_, Some(n)) => (n, Some("additionalProperties")),
            _ => (part, None),
        };
        at = at
            .get_mut("properties")
            .and_then(|p| p.get_mut(name))
            .ok_or_else(|| fail(FIX, format!("{schema}.{path}: `{name}` is gone")))?;
        if let Some(key) = inner {
            at = at
                .get_mut(key)
                .filter(|v| v.is_object())
                .ok_or_else(|| fail(FIX, format!("{schema}.{path}: `{name}` has no {key}")))?;
        }
    }
    Ok(at)
}

/// Sets `doc` as the description of `schema`. The generator puts the description of a `$ref`
/// (which OpenAPI 3.0 ignores beside it) or of an inline object on a type, not on the field
/// holding it; wrapped in a one-element `allOf`, which the generator reads as that type, the
/// outer description documents the field. An inline object keeps the doc as its type's doc too.
fn describe(schema: &mut Value, at: &str, doc: &str, field: bool) -> Fix {
    let o = schema
        .as_object_mut()
        .ok_or_else(|| fail(FIX, format!("{at} is not a schema object")))?;
    let doc = Value::String(doc.to_string());
    if field && o.contains_key("$ref") {
        let r = o.remove("$ref").unwrap_or_default();
        o.insert("allOf".into(), json!([{ "$ref": r }]));
    } else if field && o.contains_key("properties") {
        let mut inner = std::mem::take(o);
        inner.insert("description".into(), doc.clone());
        o.insert("allOf".into(), Value::Array(vec![Value::Object(inner)]));
    }
    o.insert("description".into(), doc);
    Ok(())
}

/// Applies the docs to the effective spec (after [`model_types::apply`](crate::model_types::apply)).
pub fn apply(spec: &mut Value) -> Fix {
    let schemas = spec
        .pointer_mut("/components/schemas")
        .ok_or_else(|| fail(FIX, "no components.schemas"))?;
    for (schema, path, doc) in entries() {
        let root = schemas
            .get_mut(&schema)
            .ok_or_else(|| fail(FIX, format!("schema {schema} is gone")))?;
        let at = if path.is_empty() {
            schema.clone()
        } else {
            format!("{schema}.{path}")
        };
        let field = !path.is_empty() && !path.ends_with("[]") && !path.ends_with("{}");
        describe(target(root, &schema, &path)?, &at, &doc, field)?;
    }
    Ok(())
}

/// Where the generated docs lack ours: every schema the generator turns into a type (all but
/// the `hand_written` ones, `(schema, Rust type)` as `render::REPLACEMENTS` lists them), every
/// inline object, array
/// item or map value with properties, and every property, each named `Schema.path`.
pub fn undocumented(spec: &Value, hand_written: &[(&str, &str)]) -> Vec<String> {
    fn needs(v: &Value) -> bool {
        v.get("properties").is_some()
    }
    fn walk(v: &Value, at: &str, out: &mut Vec<String>) {
        let v = wrapped(v);
        for (name, p) in v
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let here = format!("{at}.{name}");
            if p.get("description").is_none() {
                out.push(here.clone());
            }
            walk(p, &here, out);
            for (key, mark) in [("items", "[]"), ("additionalProperties", "{}")] {
                if let Some(inner) = wrapped(p).get(key).filter(|i| needs(i)) {
                    let here = format!("{here}{mark}");
                    if inner.get("description").is_none() {
                        out.push(here.clone());
                    }
                    walk(inner, &here, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    for (name, s) in spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if hand_written.iter().any(|(r, _)| r == name) {
            continue;
        }
        if s.get("description").is_none() {
            out.push(name.clone());
        }
        walk(s, name, &mut out);
    }
    out
}

/// Docs the generator writes itself: the kept unknown keys and the builder constructors get
/// ours, and [`drop_schema_blocks`] drops its schema dumps.
pub fn finish_docs(code: &str) -> Result<String, String> {
    let mut code = drop_schema_blocks(code)?;
    for (from, doc) in [
        (
            "        #[serde(flatten)]\n        pub extra: ",
            "Keys the contract does not name, kept as the service sent them (so nothing a newer service adds is lost).",
        ),
        (
            "        pub fn builder() -> builder::",
            "A builder of this type, field by field (all fields start unset or empty).",
        ),
    ] {
        if !code.contains(from) {
            return Err(fail("generated docs", format!("no `{}`", from.trim())));
        }
        code = code.replace(from, &format!("        ///{doc}\n{from}"));
    }
    Ok(code)
}

/// Drops the `JSON schema` blocks the generator appends to every type's doc: the docs are ours
/// (the schema is in `generated/spot.normalized.json` for whoever needs it).
pub fn drop_schema_blocks(code: &str) -> Result<String, String> {
    const OPEN: &str = "/// <details><summary>JSON schema</summary>";
    const CLOSE: &str = "/// </details>";
    let mut out: Vec<&str> = Vec::new();
    let mut inside = false;
    let mut count = 0;
    for line in code.lines() {
        let t = line.trim_start();
        if inside {
            inside = t != CLOSE;
        } else if t == OPEN {
            if out.last().is_some_and(|l| l.trim_start() == "///") {
                out.pop();
            }
            inside = true;
            count += 1;
        } else {
            out.push(line);
        }
    }
    if inside || count == 0 {
        return Err(fail(
            "schema blocks",
            "no complete `JSON schema` doc block found",
        ));
    }
    Ok(out.join("\n") + "\n")
}
