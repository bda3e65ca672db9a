/**
 * Node flags every long-running ifreg service is started with (npm scripts, deploy/Dockerfile,
 * the fault suite and the bench). Node 24's V8 sizes the young generation larger than Node
 * 20's; 16 MiB semi-spaces, Node 20's default, keep the registrar's RSS under a burst near
 * its live heap instead of ~50 % above (services/bench/README.md). kafkajs 2.2.4 (unmaintained)
 * schedules a negative timeout when idle, which Node 24 reports on stderr every time.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16', '--disable-warning=TimeoutNegativeWarning'];
