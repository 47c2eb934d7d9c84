"""kubelet's journal: start-up lines, the register/lease loop against the API, steady state.

Messages are the upstream kubelet texts in both klog styles: structured (`"msg" key=value`,
kubelet >= 1.20) and legacy printf (kubelet <= 1.19). The API loop follows the real back-offs:
registration retries 100 ms doubling to 7 s, lease retries 200 ms doubling to 7 s.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from . import lines
from .builder import Builder


# klog callers of kubelet <= 1.19 for the same messages (callers move between releases).
LEGACY_CALLERS = {"kubelet_node_status.go:73": "kubelet_node_status.go:70", "kubelet_node_status.go:96": "kubelet_node_status.go:92",
                  "kubelet_node_status.go:76": "kubelet_node_status.go:73", "kubelet.go:2448": "kubelet.go:2240",
                  "controller.go:145": "controller.go:136", "kubelet.go:2855": "kubelet.go:2106",
                  "eviction_manager.go:282": "eviction_manager.go:260", "csi_plugin.go:300": "csi_plugin.go:293"}


class Kubelet:
    """Writes kubelet lines for one kubelet process (one pid) of the node."""

    def __init__(self, b: Builder, pid: int | None = None) -> None:
        self.b = b
        self.node = b.node
        self.pid = pid or b.pid("kubelet", 2900, 4200)
        self.legacy = self.node.klog == "legacy"

    @property
    def name(self) -> str:
        return self.node.short_host if self.b.story.hostname_short else self.node.node_name

    def emit(self, ts: datetime, level: str, src: str, structured: str, legacy: str | None = None) -> None:
        body = legacy if (self.legacy and legacy is not None) else structured
        if self.legacy:
            src = LEGACY_CALLERS.get(src, src)
        self.b.log("kubelet", ts, "kubelet", self.pid, lines.klog(level, ts, self.pid, src, body))

    def raw(self, ts: datetime, text: str) -> None:
        """Lines kubelet prints before klog is set up (flag deprecations)."""
        self.b.log("kubelet", ts, "kubelet", self.pid, text)

    # --- start-up -----------------------------------------------------------------------------
    def deprecations(self, ts: datetime) -> None:
        n, minor = self.node, self.node.k8s_minor
        if n.family == "al2" and n.runtime == "docker" and 20 <= minor <= 23:
            self.raw(ts, "Flag --network-plugin has been deprecated, will be removed along with dockershim.")
        if n.family == "al2" and n.runtime == "containerd" and 24 <= minor <= 26:
            self.raw(ts, "Flag --container-runtime has been deprecated, will be removed in 1.27 as the only valid value is 'remote'")
        if n.family == "al2" and minor >= 20:
            tail = "in a future release" if minor < 30 else "in 1.35"
            self.raw(ts, f"Flag --pod-infra-container-image has been deprecated, will be removed {tail}. "
                         "Image garbage collector will get sandbox image information from CRI.")
        if minor >= 20:
            self.raw(ts, "Flag --cloud-provider has been deprecated, will be removed in 1.25 or later, in favor of "
                         "removing cloud provider code from Kubelet.")

    def start(self, t: datetime) -> datetime:
        """Start-up until the first register attempt; returns the time of that attempt."""
        n, step = self.node, lambda s: t + timedelta(seconds=s, microseconds=self.b.rng.randint(0, 900))
        self.deprecations(step(0.05))
        if self.legacy:
            self.emit(step(0.06), "I", "server.go:416", "", f"Version: {n.kubelet_version}")
            self.emit(step(0.07), "I", "server.go:837", "", "Client rotation is on, will bootstrap in background")
            self.emit(step(0.09), "I", "dynamic_cafile_content.go:167", "", "Starting client-ca-bundle::/etc/kubernetes/pki/ca.crt")
            self.emit(step(0.2), "I", "server.go:645", "", "--cgroups-per-qos enabled, but --cgroup-root was not specified.  defaulting to /")
            self.emit(step(0.3), "I", "kubelet.go:273", "", "Adding pod path: /etc/kubernetes/manifests")
            self.emit(step(0.3), "I", "kubelet.go:298", "", "Watching apiserver")
            self.emit(step(0.4), "I", "docker_service.go:253", "", "Docker cri networking managed by cni")
            self.emit(step(0.6), "I", "kuberuntime_manager.go:214", "",
                      "Container runtime docker initialized, version: 19.03.13-ce, apiVersion: 1.40.0")
            self.emit(step(0.8), "I", "server.go:1148", "", "Started kubelet")
            self.emit(step(0.9), "E", "kubelet.go:1218", "", "Image garbage collection failed once. Stats initialization "
                      "may not have completed yet: failed to get imageFs info: unable to find data in memory cache")
            self.emit(step(0.9), "I", "server.go:152", "", "Starting to listen on 0.0.0.0:10250")
            return step(1.2)
        self.emit(step(0.06), "I", "server.go:487", lines.kv("Kubelet version", kubeletVersion=n.kubelet_version))
        self.emit(step(0.061), "I", "server.go:489", lines.kv("Golang settings", GOGC="", GOMAXPROCS="", GOTRACEBACK=""))
        self.emit(step(0.08), "I", "dynamic_cafile_content.go:157",
                  lines.kv("Starting controller", name="client-ca-bundle::/etc/kubernetes/pki/ca.crt"))
        self.emit(step(0.2), "I", "server.go:745", lines.kv("--cgroups-per-qos enabled, but --cgroup-root was not specified.  defaulting to /"))
        self.emit(step(0.21), "I", "container_manager_linux.go:265",
                  '"Container manager verified user specified cgroup-root exists" cgroupRoot=[]')
        self.emit(step(0.3), "I", "kubelet.go:396", lines.kv("Attempting to sync node with API server"))
        self.emit(step(0.3), "I", "kubelet.go:301", lines.kv("Adding static pod path", path="/etc/kubernetes/manifests"))
        self.emit(step(0.31), "I", "kubelet.go:312", lines.kv("Adding apiserver pod source"))
        self.emit(step(0.5), "I", "kuberuntime_manager.go:258", lines.kv(
            "Container runtime initialized", containerRuntime="containerd", version=n.containerd_version, apiVersion="v1"))
        self.emit(step(0.7), "I", "server.go:1256", lines.kv("Started kubelet"))
        self.emit(step(0.72), "E", "kubelet.go:1462", lines.kv(
            "Image garbage collection failed once. Stats initialization may not have completed yet",
            err="invalid capacity 0 on image filesystem"))
        self.emit(step(0.73), "I", "server.go:162", lines.kv("Starting to listen", address="0.0.0.0", port=10250))
        self.emit(step(0.75), "I", "volume_manager.go:291", lines.kv("Starting Kubelet Volume Manager"))
        self.emit(step(0.9), "I", "cpu_manager.go:214", lines.kv("Starting CPU manager", policy="none"))
        return step(1.1)

    # --- API errors ---------------------------------------------------------------------------
    def _wrap(self, err: str, method: str, url: str) -> str:
        """Transport errors are wrapped with the request; API status errors (Unauthorized) are not."""
        if err.startswith(("Unauthorized", "the server")):
            return err
        return f'{method} "{self.node.endpoint}{url}": {err}'

    def register_failed(self, ts: datetime, err: str) -> None:
        e = self._wrap(err, "Post", "/api/v1/nodes")
        self.emit(ts, "I", "kubelet_node_status.go:73", lines.kv("Attempting to register node", node=self.name),
                  f"Attempting to register node {self.name}")
        self.emit(ts + timedelta(milliseconds=31), "E", "kubelet_node_status.go:96",
                  lines.kv("Unable to register node with API server", err=e, node=self.name),
                  f'Unable to register node "{self.name}" with API server: {e}')

    def lease_failed(self, ts: datetime, err: str, interval: str) -> None:
        e = self._wrap(err, "Get", f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{self.name}?timeout=10s")
        self.emit(ts, "E", "controller.go:145", lines.kv("Failed to ensure lease exists, will retry", err=e, interval=interval),
                  f"failed to ensure node lease exists, will retry in {interval}, error: {e}")

    def node_not_found(self, ts: datetime) -> None:
        err = f'node "{self.name}" not found'
        self.emit(ts, "E", "kubelet.go:2448", lines.kv("Error getting node", err=err), err)

    def eviction_no_node(self, ts: datetime) -> None:
        err = f'failed to get node info: node "{self.name}" not found'
        self.emit(ts, "E", "eviction_manager.go:282", lines.kv("Eviction manager: failed to get summary stats", err=err),
                  f"eviction manager: failed to get summary stats: {err}")

    def cni_not_ready(self, ts: datetime) -> None:
        if self.node.runtime == "docker":
            msg = "NetworkReady=false reason:NetworkPluginNotReady message:docker: network plugin is not ready: cni config uninitialized"
        else:
            msg = "NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"
        self.emit(ts, "E", "kubelet.go:2855", lines.kv("Container runtime network not ready", networkReady=msg),
                  f"Container runtime network not ready: {msg}")

    def reflector_failed(self, ts: datetime, kind: str, path: str, err: str) -> None:
        url = f"{path}?limit=500&resourceVersion=0"
        if kind == "Node":
            url = f"/api/v1/nodes?fieldSelector=metadata.name%3D{self.name}&limit=500&resourceVersion=0"
        e = self._wrap(err, "Get", url)
        informer = "k8s.io/client-go/informers/factory.go:159"
        if self.legacy:
            self.emit(ts, "E", "reflector.go:127", "", f"{informer.replace('159', '134')}: Failed to watch *v1.{kind}: failed to list *v1.{kind}: {e}")
            return
        self.emit(ts, "W", "reflector.go:539", f"{informer}: failed to list *v1.{kind}: {e}")
        self.emit(ts + timedelta(microseconds=80), "E", "reflector.go:147",
                  f"{informer}: Failed to watch *v1.{kind}: failed to list *v1.{kind}: {e}")

    # --- the run ------------------------------------------------------------------------------
    def run(self, first_attempt: datetime, on_registered=None) -> datetime | None:
        """Register/lease/informer loop until success or collection. Returns the registration time.

        `on_registered(ts)` runs once the Node object exists and returns when the CNI became ready
        (None: never); until then kubelet keeps logging NetworkPluginNotReady.
        """
        story, end = self.b.story, self.b.end
        persistent = story.api_error
        if persistent:
            give_up = end
        else:
            warm = "dial tcp {}:443: connect: connection refused".format(self.node.endpoint_ips[0])
            persistent = warm
            give_up = first_attempt + timedelta(seconds=0.1 * (2 ** story.warmup_errors) + 0.2) if story.warmup_errors else first_attempt
        err_text = story.api_error_legacy if (self.legacy and story.api_error_legacy) else persistent

        t, step, registered_at = first_attempt, 0.1, None
        while t < end:
            if t >= give_up and not story.api_error:
                if story.register_forbidden:
                    self.register_failed(t, story.register_forbidden)
                else:
                    self.emit(t, "I", "kubelet_node_status.go:73", lines.kv("Attempting to register node", node=self.name),
                              f"Attempting to register node {self.name}")
                    registered_at = t + timedelta(milliseconds=self.b.rng.randint(40, 400))
                    self.emit(registered_at, "I", "kubelet_node_status.go:76",
                              lines.kv("Successfully registered node", node=self.name), f"Successfully registered node {self.name}")
                    break
            else:
                self.register_failed(t, err_text)
            t += timedelta(seconds=step, microseconds=self.b.rng.randint(0, 20000))
            step = min(step * 2, 7.0)
        cni_ready_at = on_registered(registered_at) if (registered_at and on_registered) else None
        stop = registered_at or end
        self._side_errors(first_attempt, stop, err_text, until_registered=give_up if not story.api_error else end)
        ready = cni_ready_at or end
        t = first_attempt + timedelta(seconds=0.4)
        while t < min(ready, end):  # the runtime network stays not-ready until aws-node writes the CNI config
            self.cni_not_ready(t)
            t += timedelta(seconds=5, microseconds=self.b.rng.randint(0, 50000))
        if registered_at and cni_ready_at and cni_ready_at < end:
            self.emit(cni_ready_at + timedelta(seconds=1.3), "I", "kubelet_node_status.go:493",
                      lines.kv("Fast updating node status as it just became ready"), "Fast updating node status as it just became ready")
        return registered_at

    def _side_errors(self, start: datetime, stop: datetime, err: str, until_registered: datetime) -> None:
        """What a kubelet without a Node object logs meanwhile: lease, informers, not found, eviction."""
        rng = self.b.rng
        t, interval = start + timedelta(milliseconds=20), 0.2
        api_stop = min(stop, until_registered)
        while t < api_stop:
            label = f"{interval:g}s" if interval >= 1 else f"{int(interval * 1000)}ms"
            self.lease_failed(t, err, label)
            t += timedelta(seconds=interval, microseconds=rng.randint(0, 30000))
            interval = min(interval * 2, 7.0)
        for kind, path in (("Node", "/api/v1/nodes"), ("Service", "/api/v1/services"),
                           ("CSIDriver", "/apis/storage.k8s.io/v1/csidrivers"),
                           ("RuntimeClass", "/apis/node.k8s.io/v1/runtimeclasses")):
            t, backoff = start + timedelta(milliseconds=rng.randint(5, 60)), 0.8
            while t < api_stop:
                self.reflector_failed(t, kind, path, err)
                t += timedelta(seconds=backoff + rng.random())
                backoff = min(backoff * 2, 30.0)
        t = start + timedelta(milliseconds=rng.randint(90, 300))
        lo, hi = self.b.story.extra.get("not_found_every", (0.6, 2.8))
        while t < stop:
            self.node_not_found(t)
            t += timedelta(seconds=rng.uniform(lo, hi))
        t = start + timedelta(seconds=1.5)
        while t < stop:
            self.eviction_no_node(t)
            t += timedelta(seconds=10, microseconds=rng.randint(0, 90000))
        if err.startswith("Unauthorized") and stop - start > timedelta(seconds=60):
            self.emit(start + timedelta(seconds=42), "E", "csi_plugin.go:300", lines.kv(
                "Failed to initialize CSINode after retrying", err=f"Failed to contact API server when waiting for CSINode publishing: {err}"),
                f"Failed to initialize CSINode: error waiting for CSINode created: Failed to contact API server when waiting for CSINode publishing: {err}")

    def steady(self, registered_at: datetime) -> None:
        """Post-registration lines of a node that picked up its DaemonSet pods."""
        rng, ts = self.b.rng, registered_at + timedelta(seconds=1.2)
        pods = self.b.story.extra.setdefault("pods", {
            "aws-node": f"aws-node-{''.join(rng.choice('bcdfghjklmnpqrstvwxz2456789') for _ in range(5))}",
            "kube-proxy": f"kube-proxy-{''.join(rng.choice('bcdfghjklmnpqrstvwxz2456789') for _ in range(5))}",
        })
        names = [f"kube-system/{p}" for p in pods.values()]
        self.emit(ts, "I", "kubelet.go:2431", f'"SyncLoop ADD" source="api" pods=[{",".join(lines.gostr(p) for p in names)}]',
                  f'SyncLoop (ADD, "api"): "{names[0].split("/")[1]}_kube-system(uid), {names[1].split("/")[1]}_kube-system(uid)"')
        for i, pod in enumerate(names):
            self.emit(ts + timedelta(seconds=9 + i * 3), "I", "pod_startup_latency_tracker.go:102",
                      f'"Observed pod startup duration" pod="{pod}" podStartSLOduration={8.2 + i * 2.9:.6f}',
                      f'Observed pod startup duration for {pod}')
