// A fake OTLP/gRPC receiver (stands in for the Collector in agent-side delivery tests; the real Collector is
// exercised in collector.test.ts): accepts Export calls for the three services, keeps the raw protobuf
// requests, and answers with an empty (valid) response. Binds to 127.0.0.1 only.
import * as grpc from '@grpc/grpc-js';

const raw = { requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };
const PATHS = {
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
} as const;

export interface OtlpSink {
  port: number;
  requests: Record<keyof typeof PATHS, Buffer[]>;
  stop(): Promise<void>;
}

export async function startOtlpSink(port = 0): Promise<OtlpSink> {
  const server = new grpc.Server();
  const requests: OtlpSink['requests'] = { logs: [], traces: [], metrics: [] };
  for (const [signal, path] of Object.entries(PATHS) as [keyof typeof PATHS, string][]) {
    server.addService(
      { Export: { path, requestStream: false, responseStream: false, ...raw } },
      {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
          requests[signal].push(call.request);
          cb(null, Buffer.alloc(0));
        },
      },
    );
  }
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { port: bound, requests, stop: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
}
