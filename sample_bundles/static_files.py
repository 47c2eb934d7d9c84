"""Command-output files of a bundle (system/, networking/, storage/, kubelet/ configs, ipamd/ ...).

They describe the node at collection time, so they follow the story: a kubelet that never started
has no process in ps.txt, a node without a default route has none in iproute.txt, ipamd files are
0 bytes when ipamd was not listening, failed units show `failed` in services.txt.
"""

from __future__ import annotations

import json

from .builder import Builder


def write_all(b: Builder) -> None:
    for fn in (system, networking, storage, kubelet_files, containerd_files, ipamd, misc):
        fn(b)
    # The collector always runs these journalctl commands: an idle unit gives "-- No entries --".
    b.journal_units |= {"kubelet", "sandbox-image"}
    if "nodeadm" in b.node.features:
        b.journal_units |= {"nodeadm-config", "nodeadm-run"}
    if "boot_hook" in b.node.features:
        b.journal_units.add("nodeadm-boot-hook")


def _kubelet_running(b: Builder) -> bool:
    s = b.story
    return s.userdata_ok and not s.kubelet_exec_fails and not s.kubelet_fatal


def system(b: Builder) -> None:
    n, s, f = b.node, b.story, b.files
    f["kernel/uname.txt"] = f"Linux {n.journal_host} {n.kernel} #1 SMP {n.boot:%a %b %d %H:%M:%S} UTC {n.boot.year} x86_64 x86_64 x86_64 GNU/Linux\n"
    f["system/instance-id.txt"] = n.instance_id + "\n"
    if "region_txt" in n.features:
        f["system/region.txt"] = n.region + "\n"
        f["system/availability-zone.txt"] = n.az + "\n"
    f["system/script-params.txt"] = "ignore_introspection: false\nignore_metrics: false\n"
    f["system/selinux.txt"] = "Disabled\n" if n.family == "al2" else "Permissive\n"
    f["system/services.txt"] = services(b)
    f["system/ps.txt"] = ps(b)
    f["system/pkglist.txt"] = pkglist(b)
    f["system/top.txt"] = (f"top - {n.collected:%H:%M:%S} up {int((n.collected - n.boot).total_seconds() // 60)} min,  0 users,  load average: 0.21, 0.18, 0.09\n"
                           "Tasks: 142 total,   1 running, 141 sleeping,   0 stopped,   0 zombie\n"
                           "%Cpu(s):  1.6 us,  1.6 sy,  0.0 ni, 96.8 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st\n"
                           "MiB Mem :   7802.8 total,   6101.4 free,    612.3 used,   1089.1 buff/cache\n")
    f["system/netstat.txt"] = netstat(b)
    f["system/procstat.txt"] = "cpu  10234 12 8123 912345 412 0 210 87 0 0\nbtime %d\nprocesses 4123\n" % int(n.boot.timestamp())
    f["system/allprocstat.txt"] = "1 (systemd) S 0 1 1 0 -1 4194560 41235 1264563 97 1205 253 180 1802 867 20 0 1 0 4 177152000 3407 18446744073709551615\n"
    f["system/cpu_throttling.txt"] = ""
    f["system/io_throttling.txt"] = ""
    f["system/ps-threads.txt"] = "UID          PID    PPID     LWP  C NLWP    SZ   RSS PSR STIME TTY          TIME CMD\nroot           1       0       1  0    1 43302 13628   0 " + f"{n.boot:%H:%M}" + " ?        00:00:02 /usr/lib/systemd/systemd --switched-root --system --deserialize 21\n"
    if "large_env" in n.features:
        f["system/large_environments.txt"] = ""
    if "last_reboot" in n.features:
        f["system/last_reboot.txt"] = f"reboot   system boot  {n.kernel[:16]} {n.boot:%a %b %d %H:%M}   still running\n\nwtmp begins {n.boot:%a %b %d %H:%M:%S %Y}\n"


def hostname_override(b: Builder) -> str:
    """AL2 bootstrap passes the EC2 private DNS name from 1.26 on."""
    return f" --hostname-override={b.node.hostname}" if b.node.k8s_minor >= 26 and not b.story.hostname_short else ""


def services(b: Builder) -> str:
    n, s = b.node, b.story
    rows = [("amazon-ssm-agent.service", "loaded", "active", "running", "amazon-ssm-agent"),
            ("chronyd.service", "loaded", "active", "running", "NTP client/server"),
            ("cloud-config.service", "loaded", "active", "exited", "Apply the settings specified in cloud-config"),
            ("cloud-final.service", "loaded", "failed" if s.extra.get("cloud_final_failed") else "active",
             "failed" if s.extra.get("cloud_final_failed") else "exited", "Execute cloud user/final scripts"),
            ("cloud-init-local.service", "loaded", "active", "exited", "Initial cloud-init job (pre-networking)"),
            ("cloud-init.service", "loaded", "active", "exited", "Initial cloud-init job (metadata service crawler)"),
            *([] if s.extra.get("no_containerd") else [("containerd.service", "loaded", "active", "running", "containerd container runtime")]),
            ("dbus.service", "loaded", "active", "running", "D-Bus System Message Bus"),
            ("sshd.service", "loaded", "active", "running", "OpenSSH server daemon"),
            ("systemd-journald.service", "loaded", "active", "running", "Journal Service"),
            ("systemd-logind.service", "loaded", "active", "running", "Login Service")]
    kubelet_state = ("active", "running") if _kubelet_running(b) else (
        ("activating", "auto-restart") if (s.kubelet_exec_fails or s.kubelet_fatal) else ("inactive", "dead"))
    if s.userdata_ok or s.kubelet_exec_fails or s.kubelet_fatal:
        rows.append(("kubelet.service", "loaded", *kubelet_state, "Kubernetes Kubelet"))
    if n.family == "al2":
        rows += [("rsyslog.service", "loaded", "active", "running", "System Logging Service"),
                 ("network.service", "loaded", "active", "exited", "LSB: Bring up/down networking")]
        if n.runtime == "containerd" and s.userdata_ok:
            rows.append(("sandbox-image.service", "loaded", "active", "exited", "pull sandbox image defined in containerd config.toml"))
        if n.runtime == "docker":
            rows.append(("docker.service", "loaded", "active", "running", "Docker Application Container Engine"))
    else:
        cfg_failed = bool(s.extra.get("nodeadm_config_failed"))
        rows += [("nodeadm-config.service", "loaded", "failed" if cfg_failed else "active", "failed" if cfg_failed else "exited", "EKS Nodeadm Config"),
                 ("nodeadm-run.service", "loaded", "inactive" if cfg_failed else "active", "dead" if cfg_failed else "exited", "EKS Nodeadm Run"),
                 ("systemd-networkd.service", "loaded", "active", "running", "Network Configuration"),
                 ("systemd-resolved.service", "loaded", "active", "running", "Network Name Resolution")]
    rows.sort()
    w = max(len(r[0]) for r in rows) + 2
    out = [f"  {'UNIT':<{w}}LOAD   ACTIVE     SUB          DESCRIPTION"]
    for unit, load, active, sub, desc in rows:
        mark = "●" if active == "failed" else " "
        out.append(f"{mark} {unit:<{w}}{load:<7}{active:<11}{sub:<13}{desc}")
    out += ["", "LOAD   = Reflects whether the unit definition was properly loaded.",
            "ACTIVE = The high-level unit activation state, i.e. generalization of SUB.",
            "SUB    = The low-level unit activation state, values depend on unit type.", "",
            f"{len(rows)} loaded units listed. Pass --all to see loaded but inactive units, too."]
    return "\n".join(out) + "\n"


def ps(b: Builder) -> str:
    n, s = b.node, b.story
    hdr = "USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND"
    start = f"{n.boot:%H:%M}"
    rows = [f"root         1  0.1  0.1 191012  5840 ?        Ss   {start}   0:02 /usr/lib/systemd/systemd --switched-root --system --deserialize 21",
            *([] if s.extra.get("no_containerd") else [f"root      {b.pid('containerd'):>4}  0.4  0.6 1882212 49844 ?       Ssl  {start}   0:03 /usr/bin/containerd"]),
            f"root      {b.pid('ssm', 2400, 2800):>4}  0.0  0.2 1244848 20120 ?       Ssl  {start}   0:00 /usr/bin/amazon-ssm-agent",
            f"chrony    {b.pid('chronyd', 2000, 2400):>4}  0.0  0.0 120412  3300 ?        S    {start}   0:00 /usr/sbin/chronyd"]
    if _kubelet_running(b):
        if n.family == "al2":
            args = (f"/usr/bin/kubelet --config /etc/kubernetes/kubelet/kubelet-config.json --kubeconfig /var/lib/kubelet/kubeconfig "
                    f"--container-runtime-endpoint unix:///run/containerd/containerd.sock --image-credential-provider-config /etc/eks/image-credential-provider/config.json "
                    f"--image-credential-provider-bin-dir /etc/eks/image-credential-provider --node-ip={n.ip} --pod-infra-container-image={n.pause_image} --v=2 "
                    f"--cloud-provider={'aws' if n.k8s_minor < 27 else 'external'}{hostname_override(b)}")
            if n.runtime == "docker":
                args = (f"/usr/bin/kubelet --cloud-provider aws --config /etc/kubernetes/kubelet/kubelet-config.json --kubeconfig /var/lib/kubelet/kubeconfig "
                        f"--container-runtime docker --network-plugin cni --node-ip={n.ip} --pod-infra-container-image={n.pause_image} --v=2")
        else:
            args = (f"/usr/bin/kubelet --config=/etc/kubernetes/kubelet/config.json --config-dir=/etc/kubernetes/kubelet/config.json.d "
                    f"--kubeconfig=/var/lib/kubelet/kubeconfig --image-credential-provider-bin-dir=/etc/eks/image-credential-provider "
                    f"--image-credential-provider-config=/etc/eks/image-credential-provider/config.json --node-ip={n.ip} "
                    f"--node-labels=eks.amazonaws.com/nodegroup-image={n.ami_id},eks.amazonaws.com/capacityType=ON_DEMAND,eks.amazonaws.com/nodegroup=ng-1 --cloud-provider=external --v=2")
        rows.append(f"root      {b.pid('kubelet', 2900, 4200):>4}  1.9  1.3 1925436 104220 ?      Ssl  {start}   0:12 {args}")
    if s.registered and s.aws_node_runs and not s.api_error:
        rows.append(f"root      {b.pid('aws-k8s-agent', 5200, 6000):>4}  0.2  0.6 1267088 48312 ?       Sl   {start}   0:01 ./aws-k8s-agent")
    return "\n".join([hdr, *rows]) + "\n"


def pkglist(b: Builder) -> str:
    n, s = b.node, b.story
    if n.family == "al2":
        pkgs = ["bash-4.2.46-34.amzn2.x86_64", "chrony-4.2-5.amzn2.0.2.x86_64", "cloud-init-19.3-46.amzn2.0.2.noarch",
                f"containerd-{n.containerd_version}-1.amzn2.0.1.x86_64", "runc-1.1.13-1.amzn2.x86_64",
                "amazon-ssm-agent-3.3.987.0-1.x86_64", "iptables-1.8.4-10.amzn2.1.2.x86_64", "rsyslog-8.24.0-57.amzn2.2.0.1.x86_64",
                "awscli-1.18.147-1.amzn2.0.1.noarch", f"kernel-{n.kernel.rsplit('.', 1)[0]}.x86_64", "systemd-219-78.amzn2.0.22.x86_64",
                "python3-3.7.16-1.amzn2.0.8.x86_64", "curl-8.3.0-1.amzn2.0.6.x86_64"]
        if n.runtime == "docker":
            pkgs.append("docker-19.03.13ce-1.amzn2.x86_64")
    else:
        pkgs = ["bash-5.2.15-1.amzn2023.0.2.x86_64", "chrony-4.3-1.amzn2023.0.4.x86_64", "cloud-init-22.2.2-1.amzn2023.1.13.noarch",
                f"containerd-{n.containerd_version}-1.amzn2023.0.1.x86_64", "runc-1.1.14-1.amzn2023.0.1.x86_64",
                "amazon-ssm-agent-3.3.987.0-1.amzn2023.x86_64", "iptables-nft-1.8.8-3.amzn2023.0.2.x86_64",
                "awscli-2-2.15.30-1.amzn2023.0.1.noarch", f"kernel{n.kernel.split('.')[0]}.{n.kernel.split('.')[1]}-{n.kernel.split('-', 1)[0]}-{n.kernel.split('-', 1)[1]}",
                "systemd-252.23-2.amzn2023.x86_64", "python3-3.9.16-1.amzn2023.0.9.x86_64", "curl-minimal-8.5.0-1.amzn2023.0.4.x86_64"]
    if s.pkglist_has_kubelet:
        kv = n.kubelet_version[1:].split("-")[0]
        pkgs.append(f"kubelet-{kv}-1.{'amzn2' if n.family == 'al2' else 'amzn2023'}.x86_64" if n.family == "al2023" else f"kubelet-{kv}-1.amzn2.x86_64")
    return "\n".join(sorted(pkgs)) + "\n"


def netstat(b: Builder) -> str:
    n = b.node
    rows = ["Active Internet connections (servers and established)",
            "Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name",
            f"tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      {b.pid('sshd', 2200, 2300)}/sshd"]
    if _kubelet_running(b):
        kp = b.pid("kubelet", 2900, 4200)
        rows.append(f"tcp        0      0 127.0.0.1:10248         0.0.0.0:*               LISTEN      {kp}/kubelet")
        state = "ESTABLISHED" if not b.story.api_error else "SYN_SENT"
        if b.story.curl in ("ok", "timeout"):
            rows.append(f"tcp        0      {'0' if state == 'ESTABLISHED' else '1'} {n.ip}:{b.rng.randint(33000, 60000):<5}      {n.endpoint_ips[0]}:443       {state:<11} {kp}/kubelet")
        rows.append(f"tcp6       0      0 :::10250                :::*                    LISTEN      {kp}/kubelet")
    return "\n".join(rows) + "\n"


def networking(b: Builder) -> None:
    n, s, f = b.node, b.story, b.files
    gw = n.subnet_cidr.rsplit(".", 1)[0] + ".1"
    routes = []
    if s.default_route:
        routes.append(f"default via {gw} dev eth0")
    routes += [f"{n.subnet_cidr} dev eth0 proto kernel scope link src {n.ip}",
               "169.254.169.254 dev eth0"]
    if n.family == "al2023":
        routes = [r.replace("dev eth0", "dev ens5") + (" proto dhcp src " + n.ip + " metric 512" if r.startswith("default") else "") for r in routes]
    routes += [f"broadcast {n.subnet_cidr.rsplit('.', 1)[0]}.255 dev {'eth0' if n.family == 'al2' else 'ens5'} table local proto kernel scope link src {n.ip}",
               f"local {n.ip} dev {'eth0' if n.family == 'al2' else 'ens5'} table local proto kernel scope host src {n.ip}",
               "local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1",
               "local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1"]
    f["networking/iproute.txt"] = "\n".join(routes) + "\n"
    f["networking/ip6route.txt"] = "fe80::/64 dev eth0 proto kernel metric 256 pref medium\n"
    rules = ["0:\tfrom all lookup local"]
    if s.registered and s.aws_node_runs and s.cni_ready:
        rules.append(f"512:\tfrom all to {n.ip.rsplit('.', 1)[0]}.60 lookup main")
        rules.append(f"1024:\tfrom all fwmark 0x80/0x80 lookup main")
    rules += ["32766:\tfrom all lookup main", "32767:\tfrom all lookup default"]
    f["networking/iprule.txt"] = "\n".join(rules) + "\n"
    f["networking/ip6rule.txt"] = "0:\tfrom all lookup local\n32766:\tfrom all lookup main\n"
    if "resolv_conf" in n.features:
        search = s.resolv_search or (f"{n.region}.compute.internal" if n.region != "us-east-1" else "ec2.internal")
        servers = s.resolv_nameservers or ([n.vpc_resolver] if n.family == "al2" else ["127.0.0.53"])
        head = "; generated by /usr/sbin/dhclient-script\n" if n.family == "al2" else (
            "# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).\n# Do not edit.\n")
        body = f"search {search}\n" + "".join(f"nameserver {x}\n" for x in servers)
        if n.family == "al2023":
            body += "options edns0 trust-ad\n"
        f["networking/resolv.conf"] = head + body
    f["networking/iptables-save.txt"] = iptables_save(b)
    f["networking/ip6tables-save.txt"] = "# Generated by ip6tables-save v1.8.4\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
    f["networking/iptables.txt"] = "Chain INPUT (policy ACCEPT 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination\n=======\nTotal Number of Rules: 5\n"
    if "ping" in n.features:
        f["networking/ping_amazon.com.txt"] = ping(b, "amazon.com", "205.251.242.103")
        f["networking/ping_public.ecr.aws.txt"] = ping(b, "public.ecr.aws", "99.83.145.10")
    f["networking/configure-multicard-interfaces.txt"] = ("-- Logs begin at %s UTC, end at %s UTC. --\n-- No entries --\n" % (
        f"{n.boot:%a %Y-%m-%d %H:%M:%S}", f"{n.collected:%a %Y-%m-%d %H:%M:%S}")) if n.family == "al2" else "-- No entries --\n"
    if "ethtool" in n.features:
        f["networking/ethtool.txt"] = ("Interface eth0\nNIC statistics:\n     tx_timeout: 0\n     suspend: 0\n     resume: 0\n     wd_expired: 0\n"
                                       "     bw_in_allowance_exceeded: 0\n     bw_out_allowance_exceeded: 0\n     pps_allowance_exceeded: 0\n"
                                       "     conntrack_allowance_exceeded: 0\n     linklocal_allowance_exceeded: 0\n")
    if "ipvs" in n.features:
        f["networking/ipvsadm.txt"] = "ipvsadm not installed\n"
        f["networking/ipset.txt"] = "ipset not installed\n"
    if "curl_api" in n.features and n.family == "al2" and s.has_kubeconfig and s.userdata_ok:
        f["networking/curl_api_server.txt"] = curl_api(b)


def ping(b: Builder, host: str, ip: str) -> str:
    s = b.story
    if s.curl == "resolve":
        return ""  # ping's resolver error goes to stderr, which the collector does not keep
    if not s.default_route or s.curl == "timeout":
        return f"PING {host} ({ip}) 56(84) bytes of data.\n\n--- {host} ping statistics ---\n10 packets transmitted, 0 received, 100% packet loss, time 9211ms\n\n"
    body = "".join(f"64 bytes from {ip}: icmp_seq={i} ttl=238 time=1.{40 + i} ms\n" for i in range(1, 11))
    return (f"PING {host} ({ip}) 56(84) bytes of data.\n{body}\n--- {host} ping statistics ---\n"
            "10 packets transmitted, 10 received, 0% packet loss, time 1805ms\nrtt min/avg/max/mdev = 1.410/1.455/1.502/0.031 ms, ipg/ewma 200.512/1.461 ms\n")


def curl_api(b: Builder) -> str:
    """networking/curl_api_server.txt: five `curl -v` runs against /livez?verbose."""
    n, s, out = b.node, b.story, []
    host, ip = n.endpoint_host, n.endpoint_ips[0]
    t = n.collected
    for i in range(1, 6):
        ts = t.replace(microsecond=0)
        out.append(f"curling {n.endpoint} ({i} of 5) {ts:%Y-%m-%dT%H:%M:%S}.{(i * 137) % 1000:03d}UTC")
        if s.curl == "resolve":
            out += [f"* Could not resolve host: {host}", "* Closing connection 0", f"curl: (6) Could not resolve host: {host}"]
            continue
        out.append(f"*   Trying {ip}:443...")
        if not s.default_route or s.curl == "noroute":
            out += [f"* connect to {ip} port 443 failed: Network is unreachable", "* Failed to connect to "
                    f"{host} port 443 after 0 ms: Network is unreachable", "* Closing connection 0",
                    f"curl: (7) Failed to connect to {host} port 443 after 0 ms: Network is unreachable"]
        elif s.curl == "timeout":
            out += ["* Connection timed out after 3001 milliseconds", "* Closing connection 0",
                    "curl: (28) Connection timed out after 3001 milliseconds"]
        elif s.curl == "refused":
            out += [f"* connect to {ip} port 443 failed: Connection refused", f"* Failed to connect to {host} port 443 after 2 ms: Connection refused",
                    "* Closing connection 0", f"curl: (7) Failed to connect to {host} port 443 after 2 ms: Connection refused"]
        else:
            out += [f"* Connected to {host} ({ip}) port 443 (#0)", "* ALPN: offers h2,http/1.1",
                    "* TLSv1.3 (OUT), TLS handshake, Client hello (1):", "*  CAfile: /etc/kubernetes/pki/ca.crt",
                    "* TLSv1.3 (IN), TLS handshake, Server hello (2):", "* SSL connection using TLSv1.3 / TLS_AES_128_GCM_SHA256",
                    "* ALPN: server accepted h2", "* Server certificate:", "*  subject: CN=kube-apiserver",
                    "*  issuer: CN=kubernetes", "*  SSL certificate verify ok.", "> GET /livez?verbose HTTP/2", f"> Host: {host}",
                    "> user-agent: curl/8.3.0", "> accept: */*", ">", "< HTTP/2 200", "< audit-id: 3f1c6c55-0b2f-4f0e-9f7e-2a8c3c0d9b11",
                    "< cache-control: no-cache, private", "< content-type: text/plain; charset=utf-8", "<",
                    "[+]ping ok", "[+]log ok", "[+]etcd ok", "[+]poststarthook/start-kube-apiserver-admission-initializer ok",
                    "livez check passed", f"* Connection #0 to host {host} left intact"]
    return "\n".join(out) + "\n"


def iptables_save(b: Builder) -> str:
    n, s = b.node, b.story
    head = [f"# Generated by iptables-save v1.8.4 on {n.collected:%a %b %d %H:%M:%S %Y}", "*mangle",
            ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]"]
    if s.registered and s.aws_node_runs:
        head += ["-A PREROUTING -i eth0 -m comment --comment \"AWS, primary ENI\" -m addrtype --dst-type LOCAL --limit-iface-in -j CONNMARK --set-xmark 0x80/0x80",
                 "-A PREROUTING -i eni+ -m comment --comment \"AWS, primary ENI\" -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80"]
    head += ["COMMIT", "*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"]
    if s.registered:
        head += [":KUBE-FIREWALL - [0:0]", ":KUBE-KUBELET-CANARY - [0:0]", "-A INPUT -j KUBE-FIREWALL", "-A OUTPUT -j KUBE-FIREWALL",
                 "-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment \"block incoming localnet connections\" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP"]
    head += ["COMMIT", "*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]"]
    if s.registered and s.aws_node_runs:
        head += [":AWS-SNAT-CHAIN-0 - [0:0]", "-A POSTROUTING -m comment --comment \"AWS SNAT CHAIN\" -j AWS-SNAT-CHAIN-0",
                 f"-A AWS-SNAT-CHAIN-0 ! -d {n.vpc_cidr} -m comment --comment \"AWS SNAT CHAIN\" -j RETURN"]
    head += ["COMMIT", f"# Completed on {n.collected:%a %b %d %H:%M:%S %Y}"]
    return "\n".join(head) + "\n"


def storage(b: Builder) -> None:
    f, root = b.files, "nvme0n1p1"
    fs = "xfs" if b.node.family == "al2023" else "xfs"
    f["storage/mounts.txt"] = (f"/dev/{root} on / type {fs} (rw,noatime,attr2,inode64,logbufs=8,logbsize=32k,noquota)\n"
                               "proc on /proc type proc (rw,nosuid,nodev,noexec,relatime)\n"
                               "tmpfs on /run type tmpfs (rw,nosuid,nodev,mode=755)\n\n"
                               "Filesystem      Size  Used Avail Use% Mounted on\n"
                               f"/dev/{root}      80G  4.1G   76G   6% /\ntmpfs           3.9G  604K  3.9G   1% /run\n")
    f["storage/inodes.txt"] = f"Filesystem       Inodes IUsed    IFree IUse% Mounted on\n/dev/{root}     41942512 98211 41844301    1% /\n"
    f["storage/lsblk.txt"] = "NAME          MAJ:MIN RM SIZE RO TYPE MOUNTPOINT\nnvme0n1       259:0    0  80G  0 disk \n├─nvme0n1p1   259:1    0  80G  0 part /\n└─nvme0n1p128 259:2    0   1M  0 part \n"
    f["storage/fstab.txt"] = "UUID=2c3f1e8a-3b7e-4c1d-9e2a-6f0b8d7c5a41     /           xfs    defaults,noatime  1   1\n"
    f["storage/xfs.txt"] = f"meta-data=/dev/{root}            isize=512    agcount=41, agsize=524159 blks\n" if "xfs" in b.node.features else ""
    f["storage/pod_local_storage.txt"] = ""


def kubelet_files(b: Builder) -> None:
    n, s, f = b.node, b.story, b.files
    if s.extra.get("no_kubelet_unit"):
        f["kubelet/kubelet_service.txt"] = "No files found for kubelet.service.\n"
        b.journal_units.add("kubelet")
    elif n.family == "al2":
        f["kubelet/kubelet_service.txt"] = (
            "# /etc/systemd/system/kubelet.service\n[Unit]\nDescription=Kubernetes Kubelet\nDocumentation=https://github.com/kubernetes/kubernetes\n"
            f"After={'docker.service iptables-restore.service' if n.runtime == 'docker' else 'containerd.service sandbox-image.service'}\n"
            f"Requires={'docker.service' if n.runtime == 'docker' else 'containerd.service sandbox-image.service'}\n\n[Service]\n"
            "ExecStartPre=/sbin/iptables -P FORWARD ACCEPT -w 5\nExecStart=/usr/bin/kubelet \\\n    --config /etc/kubernetes/kubelet/kubelet-config.json \\\n"
            "    --kubeconfig /var/lib/kubelet/kubeconfig \\\n    --container-runtime-endpoint unix:///run/containerd/containerd.sock \\\n"
            "    $KUBELET_ARGS \\\n    $KUBELET_EXTRA_ARGS\n\nRestart=always\nRestartSec=5\nKillMode=process\nCPUAccounting=true\nMemoryAccounting=true\n\n"
            "[Install]\nWantedBy=multi-user.target\n\n# /etc/systemd/system/kubelet.service.d/10-kubelet-args.conf\n[Service]\n"
            f"Environment='KUBELET_ARGS=--node-ip={n.ip} --pod-infra-container-image={n.pause_image} --v=2 "
            f"--cloud-provider={'aws' if n.k8s_minor < 27 else 'external'}{hostname_override(b)}'\n"
            "\n# /etc/systemd/system/kubelet.service.d/30-kubelet-extra-args.conf\n[Service]\n"
            "Environment='KUBELET_EXTRA_ARGS=--node-labels=eks.amazonaws.com/capacityType=ON_DEMAND,eks.amazonaws.com/nodegroup=ng-1 --max-pods=29'\n")
        if s.has_kubeconfig:
            f["kubelet/kubeconfig.yaml"] = (
                "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority: /etc/kubernetes/pki/ca.crt\n"
                f"    server: {s.extra.get('kubeconfig_server', n.endpoint)}\n  name: kubernetes\ncontexts:\n- context:\n    cluster: kubernetes\n    user: kubelet\n"
                "  name: kubelet\ncurrent-context: kubelet\nusers:\n- name: kubelet\n  user:\n    exec:\n"
                f"      apiVersion: client.authentication.k8s.io/v1beta1\n      command: {s.extra.get('auth_command', '/usr/bin/aws-iam-authenticator')}\n"
                f"      args:\n        - \"token\"\n        - \"-i\"\n        - \"{s.extra.get('kubeconfig_cluster', n.cluster_name)}\"\n        - --region\n        - \"{n.region}\"\n")
            f["kubelet/svc.log"] = "======== Unable to find KUBECONFIG, IGNORING POD DATA =========\n"
        if "al2_kubelet_config" in n.features and s.userdata_ok:
            f["kubelet/kubelet-config.json"] = json.dumps(kubelet_config(b), indent=2) + "\n"
    else:
        f["kubelet/kubelet_service.txt"] = (
            "# /etc/systemd/system/kubelet.service\n[Unit]\nDescription=Kubernetes Kubelet\nDocumentation=https://github.com/kubernetes/kubernetes\n"
            "After=containerd.service\nWants=containerd.service\n\n[Service]\nSlice=runtime.slice\nEnvironmentFile=/etc/eks/kubelet/environment\n"
            "ExecStartPre=/sbin/iptables -P FORWARD ACCEPT -w 5\nExecStart=/usr/bin/kubelet $NODEADM_KUBELET_ARGS\n\nRestart=on-failure\nRestartForceExitStatus=SIGPIPE\n"
            "RestartSec=5\nKillMode=process\nCPUAccounting=true\nMemoryAccounting=true\n\n[Install]\nWantedBy=multi-user.target\n")
        if s.userdata_ok and not s.extra.get("nodeadm_config_failed"):
            f["kubelet/config.json"] = json.dumps(kubelet_config(b), indent=4) + "\n"
            f["kubelet/config.json.d/40-nodeadm.conf"] = json.dumps({"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
                                                                     "maxPods": 29, "providerID": f"aws:///{n.az}/{n.instance_id}"}, indent=4) + "\n"


def kubelet_config(b: Builder) -> dict:
    n = b.node
    return {"kind": "KubeletConfiguration", "apiVersion": "kubelet.config.k8s.io/v1beta1", "address": "0.0.0.0",
            "authentication": {"anonymous": {"enabled": False}, "webhook": {"cacheTTL": "2m0s", "enabled": True},
                               "x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"}},
            "authorization": {"mode": "Webhook", "webhook": {"cacheAuthorizedTTL": "5m0s", "cacheUnauthorizedTTL": "30s"}},
            "clusterDomain": "cluster.local", "hairpinMode": "hairpin-veth", "readOnlyPort": 0, "cgroupDriver": "systemd",
            "cgroupRoot": "/", "featureGates": {"RotateKubeletServerCertificate": True}, "protectKernelDefaults": True,
            "serializeImagePulls": False, "serverTLSBootstrap": True, "tlsCipherSuites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
            "clusterDNS": [n.dns_cluster_ip], "maxPods": 29, "providerID": f"aws:///{n.az}/{n.instance_id}"}


def containerd_files(b: Builder) -> None:
    n, s, f = b.node, b.story, b.files
    if s.extra.get("no_containerd"):
        b.journal_units.add("sandbox-image")
        return
    f["containerd/containerd-version.txt"] = (f"Client:\n  Version:  {n.containerd_version}\n  Revision: 8fc6bcff51318944179630522a095cc9dbf9f353\n  Go version: go1.22.8\n\n"
                                              f"Server:\n  Version:  {n.containerd_version}\n  Revision: 8fc6bcff51318944179630522a095cc9dbf9f353\n  UUID: 6f1c2e0a-4a1b-4f3e-9c7d-2b8e5a1f0c93\n")
    f["containerd/containerd-namespaces.txt"] = "NAME   LABELS \nk8s.io        \n"
    images = ["REF                                                                                 TYPE                                                      DIGEST                                                                  SIZE      PLATFORMS   LABELS"]
    if s.userdata_ok and n.family == "al2":
        images.append(f"{n.pause_image} application/vnd.docker.distribution.manifest.list.v2+json sha256:529cf6b1b6e5b76e901abc43aee825badbd93f9c5ee5f1e316d46a83abbce5a2 298.7 KiB linux/amd64 io.cri-containerd.image=managed")
    if n.family == "al2023":
        images.append("localhost/kubernetes/pause:latest application/vnd.oci.image.manifest.v1+json sha256:76ad2a4d5b3c8e0ac8f09ac7b2e2b4f7c0b1a0c9d5a5e0d1f3c2b8a7e6d5c4b3 311.2 KiB linux/amd64 io.cri-containerd.image=managed")
    if s.registered and s.aws_node_runs and not s.api_error:
        images.append(f"602401143452.dkr.ecr.{n.region}.amazonaws.com/amazon-k8s-cni:v1.18.3-eksbuild.1 application/vnd.docker.distribution.manifest.list.v2+json sha256:0b6f1c8e2d4a5b3c6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d 48.2 MiB linux/amd64 io.cri-containerd.image=managed")
    f["containerd/containerd-images.txt"] = "\n".join(images) + "\n"
    f["containerd/containerd-containers.txt"] = "CONTAINER    IMAGE    RUNTIME    \n"
    f["containerd/containerd-tasks.txt"] = "TASK    PID    STATUS    \n"
    f["containerd/containerd-plugins.txt"] = ("TYPE                                   ID                       PLATFORMS      STATUS    \n"
                                              "io.containerd.content.v1               content                  -              ok        \n"
                                              "io.containerd.snapshotter.v1          overlayfs                linux/amd64    ok        \n"
                                              "io.containerd.grpc.v1                  cri                      linux/amd64    ok        \n")
    f["containerd/containerd-config.txt"] = (f"version = 2\nroot = \"/var/lib/containerd\"\nstate = \"/run/containerd\"\n\n[grpc]\n  address = \"/run/containerd/containerd.sock\"\n\n"
                                             f"[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"{n.pause_image if n.family == 'al2' else 'localhost/kubernetes/pause'}\"\n"
                                             "  [plugins.\"io.containerd.grpc.v1.cri\".cni]\n    bin_dir = \"/opt/cni/bin\"\n    conf_dir = \"/etc/cni/net.d\"\n")
    if n.family == "al2023" and "sandbox-image" not in b.journal_units:
        b.journal_units.add("sandbox-image")  # AL2023 has no such unit: "-- No entries --"


def ipamd(b: Builder) -> None:
    """Introspection files: content when ipamd listens, 0 bytes when it never ran or crashed."""
    n, s, f = b.node, b.story, b.files
    listening = s.registered and s.aws_node_runs and s.cni_ready and not s.api_error
    names = ["enis.json", "pods.json", "networkutils-env-settings.json", "ipamd-env-settings.json", "eni-configs.json", "metrics.json"]
    for name in names:
        f[f"ipamd/{name}"] = ""
    if listening:
        base = n.ip.rsplit(".", 1)[0]
        f["ipamd/enis.json"] = json.dumps({"TotalIPs": 9, "AssignedIPs": 2, "ENIs": {n.eni_id: {
            "ID": n.eni_id, "IsPrimary": True, "IsTrunk": False, "IsEFA": False, "DeviceNumber": 0,
            "AvailableIPv4Cidrs": {f"{base}.{60 + i * 7}/32": {"Cidr": {"IP": f"{base}.{60 + i * 7}", "Mask": "/////w=="}, "IPAddresses": {}, "IsPrefix": False} for i in range(3)}}}})
        f["ipamd/pods.json"] = json.dumps({"AvailableCommands": ["/v1/enis", "/v1/eni-configs", "/v1/networkutils-env-settings", "/v1/ipamd-env-settings"]})
        f["ipamd/networkutils-env-settings.json"] = json.dumps({"AWS_VPC_K8S_CNI_RANDOMIZESNAT": "prng", "AWS_VPC_K8S_CNI_EXTERNALSNAT": False, "AWS_VPC_ENI_MTU": 9001})
        f["ipamd/ipamd-env-settings.json"] = json.dumps({"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": False, "AWS_VPC_K8S_CNI_CONFIGURE_RPFILTER": False,
                                                         "MAX_ENI": -1, "WARM_ENI_TARGET": 1, "WARM_IP_TARGET": 0, "MINIMUM_IP_TARGET": 0, "ENABLE_PREFIX_DELEGATION": False})
        f["ipamd/eni-configs.json"] = json.dumps({"ENIConfigs": None})
        f["ipamd/metrics.json"] = ("# HELP awscni_total_ip_addresses The total number of IP addresses\n# TYPE awscni_total_ip_addresses gauge\n"
                                   "awscni_total_ip_addresses 9\n# HELP awscni_assigned_ip_addresses The number of IP addresses assigned to pods\n"
                                   "# TYPE awscni_assigned_ip_addresses gauge\nawscni_assigned_ip_addresses 2\n")
    if "aws_node_run_files" in n.features and listening:
        f["ipamd/ipam.json"] = json.dumps({"version": "vpc-cni-ipam/1", "allocations": [{"containerID": "4f6c1e0b9a8d", "ifName": "eth0", "ipv4": f"{n.ip.rsplit('.', 1)[0]}.60"}]})


def misc(b: Builder) -> None:
    n, f = b.node, b.files
    f["sysctls/sysctl_all.txt"] = ("kernel.pid_max = 4194304\nnet.bridge.bridge-nf-call-iptables = 1\nnet.core.somaxconn = 4096\n"
                                   "net.ipv4.conf.all.rp_filter = 1\nnet.ipv4.conf.eth0.rp_filter = 1\nnet.ipv4.ip_forward = 1\n"
                                   "net.ipv4.ip_local_port_range = 32768\t60999\nnet.netfilter.nf_conntrack_max = 131072\nvm.overcommit_memory = 1\n")
    if "cni_vars" in n.features:
        f["modinfo/lustre"] = "modinfo: ERROR: Module lustre not found.\n"
    if "ipvs" in n.features:
        f["modinfo/ip_vs"] = "nf_conntrack          172032  4 xt_conntrack,nf_nat,xt_nat,xt_MASQUERADE\n"
    if "cron" in n.features and n.family == "al2":
        f["var_log/cron"] = f"{n.boot:%b} {n.boot.day:>2} {(n.boot.replace(second=0)):%H:%M:%S} {n.short_host} crond[2231]: (CRON) INFO (RANDOM_DELAY will be scaled with factor 91% if used.)\n"
