"""Real servers for the demo, the tests and the benchmarks: certificates (pki), nginx farms and STARTTLS
servers (servers), misbehaving peers (hostile), sshd (ports_servers) and the demo targets. Loopback only;
every server stops when its context ends. Not imported by the scanner itself."""
