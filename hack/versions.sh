# Pinned versions of every binary and schema the local environment builds or fetches.
# Sourced by the scripts in hack/. Changing a value here changes the cache key, so the
# next `make cluster-up` rebuilds what it names.

# Kubernetes release for kube-apiserver, kube-controller-manager and kube-scheduler.
# It must match the require line in hack/controlplane/go.mod.
KUBERNETES_VERSION=v1.34.4
# etcd release; it must match hack/etcd/go.mod. Debian ships 3.4, which lacks the
# features kube-apiserver 1.34 uses, so etcd is built from source too.
ETCD_VERSION=v3.6.17
# kwok fakes nodes and moves pods to Running and Ready.
KWOK_VERSION=v0.8.0
# Helm 4 from its Go module.
HELM_VERSION=v4.3.2
# istio.io/api carries the generated CRD YAML that the mesh objects are validated against.
ISTIO_API_VERSION=v1.28.0
# Node.js for the operator and the tests. @kubernetes/client-node 2.x needs >= 22.19.
NODE_VERSION=22.23.3
# moto with its server extra fakes the EKS and STS APIs for test/eks (hack/ensure-moto.sh).
MOTO_VERSION=5.2.5
