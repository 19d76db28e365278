export { createTestEnv, testConfig, type TestEnv, type TestEnvOptions } from './env.ts';
export { consumeAll, consumeN, type ConsumedMessage, type ConsumeOptions } from './kafka.ts';
export { waitFor } from './wait.ts';
export { startTcpProxy, TcpProxy, type CutMode, type TcpProxyOptions, type TcpProxyStats } from './tcp-proxy.ts';
export { startSecondBroker, type SecondBroker, type SecondBrokerOptions } from './second-broker.ts';
export { startHttpReceiver, type HttpReceiver, type ReceivedRequest, type Answer } from './http-receiver.ts';
export { testAlert, testIncident, incidentPublisher, type IncidentPublisher } from './incidents.ts';
export { spawnPipeline, pipelineChildEnv, type PipelineProcess } from './pipeline-process.ts';
export { spawnGateway, type GatewayProcess } from './gateway-process.ts';
