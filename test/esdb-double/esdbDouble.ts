import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import gossipGrpc from '@eventstore/db-client/generated/gossip_grpc_pb.js';
import gossipPb from '@eventstore/db-client/generated/gossip_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';

/**
 * A conformance double of EventStoreDB's gRPC streams service, served from memory on 127.0.0.1
 * with the service definitions the client ships. It answers what `@eventstore/db-client` 6.2.1
 * calls for the ledger: Append (unary-streaming; the double leaves ServerFeatures unimplemented, as
 * servers before 21.10 did, so the client does not use BatchAppend), Read of a stream, Read of $all,
 * a subscription to $all, and Gossip.Read, which the client calls first when a connection string
 * names several hosts. The rules follow the server:
 * - expected revisions: no stream, any, stream exists, exact;
 * - a re-sent append whose event ids are already stored right after the expected revision succeeds
 *   without writing (with `any` / `stream exists`, when the ids are the stream's in order);
 * - each event's record has its own log position, reported as commit = prepare position in reads,
 *   the way the server reads implicit transactions; positions grow by the record's size;
 * - stream reads of a missing stream answer StreamNotFound; $all reads include their start position;
 * - a $all read or subscription from a position that is no record's start (inside a record) is
 *   refused, as the server refuses to read its log there (an invalid position);
 *   subscriptions start after it, send a confirmation, catch up, send a checkpoint and CaughtUp,
 *   then go live.
 */

const { ReadReq, ReadResp, AppendReq, AppendResp } = streamsPb;
type ReadReqMessage = InstanceType<typeof ReadReq>;
type ReadRespMessage = InstanceType<typeof ReadResp>;
type AppendReqMessage = InstanceType<typeof AppendReq>;
type AppendRespMessage = InstanceType<typeof AppendResp>;
type FilterOptionsMessage = InstanceType<typeof ReadReq.Options.FilterOptions>;

export interface StoredEvent {
  readonly streamId: string;
  readonly revision: number;
  readonly eventId: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
  /** .NET ticks since the Unix epoch, as the server sends `created`. */
  readonly createdTicks: string;
  readonly logPosition: bigint;
}

interface LogPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

type Expectation = { kind: 'any' } | { kind: 'no_stream' } | { kind: 'stream_exists' } | { kind: 'revision'; revision: number };

interface ProposedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
}

/** The first log position; a real log starts after its epoch and settings records. */
const FIRST_LOG_POSITION = 1024n;
/** A record's fixed size on top of its payload, so positions are not consecutive numbers. */
const RECORD_OVERHEAD_BYTES = 128n;

/** The in-memory log. It outlives a server instance, so a "restarted" double keeps its events. */
export class DoubleLog {
  readonly events: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly listeners = new Set<(event: StoredEvent) => void>();
  private nextLogPosition = FIRST_LOG_POSITION;
  private readonly recordStarts = new Set<bigint>([0n]);

  constructor() {
    // A fresh server writes its own events first; the ledger must skip them.
    this.write('$settings', [systemEvent('$settings')]);
  }

  stream(streamId: string): readonly StoredEvent[] | undefined {
    return this.streams.get(streamId);
  }

  onAppend(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Appends as the server does; returns the stored events or the stream's actual revision. */
  append(streamId: string, expectation: Expectation, proposed: readonly ProposedEvent[]): { written: readonly StoredEvent[] } | { actual: number | 'no_stream' } {
    const existing = this.streams.get(streamId) ?? [];
    const current = existing.length - 1;
    const replayed = this.findReplay(existing, expectation, proposed);
    if (replayed) return { written: replayed };
    const matches =
      expectation.kind === 'any' ||
      (expectation.kind === 'no_stream' && current === -1) ||
      (expectation.kind === 'stream_exists' && current >= 0) ||
      (expectation.kind === 'revision' && expectation.revision === current);
    if (!matches) return { actual: current === -1 ? 'no_stream' : current };
    return { written: this.write(streamId, proposed) };
  }

  /** Whether the server could read its log from this position: the log's start, a record's start, or the end. */
  isRecordStart(position: bigint): boolean {
    return position === this.nextLogPosition || this.recordStarts.has(position);
  }

  appendSystemEvent(streamId: string, type: string): void {
    this.write(streamId, [systemEvent(type)]);
  }

  private findReplay(existing: readonly StoredEvent[], expectation: Expectation, proposed: readonly ProposedEvent[]): readonly StoredEvent[] | null {
    let first: number;
    if (expectation.kind === 'no_stream') first = 0;
    else if (expectation.kind === 'revision') first = expectation.revision + 1;
    else first = existing.findIndex((event) => event.eventId === proposed[0]!.eventId);
    if (first < 0) return null;
    const candidate = existing.slice(first, first + proposed.length);
    if (candidate.length !== proposed.length) return null;
    return candidate.every((event, index) => event.eventId === proposed[index]!.eventId) ? candidate : null;
  }

  private write(streamId: string, proposed: readonly ProposedEvent[]): StoredEvent[] {
    const stream = this.streams.get(streamId) ?? [];
    this.streams.set(streamId, stream);
    const createdTicks = String(BigInt(Date.now()) * 10_000n);
    const written = proposed.map((event) => {
      const stored: StoredEvent = { ...event, streamId, revision: stream.length, createdTicks, logPosition: this.nextLogPosition };
      this.recordStarts.add(this.nextLogPosition);
      this.nextLogPosition += RECORD_OVERHEAD_BYTES + BigInt(event.data.length + event.customMetadata.length);
      stream.push(stored);
      this.events.push(stored);
      return stored;
    });
    for (const event of written) for (const listener of this.listeners) listener(event);
    return written;
  }
}

function systemEvent(type: string): ProposedEvent {
  return { eventId: randomUUID(), type, contentType: 'application/json', data: Buffer.from('{}'), customMetadata: new Uint8Array() };
}

function positionOf(event: StoredEvent): LogPosition {
  return { commit: event.logPosition, prepare: event.logPosition };
}

function compare(a: LogPosition, b: LogPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

function streamName(identifier: { getStreamName_asU8(): Uint8Array } | undefined): string {
  if (!identifier) throw new Error('request without a stream identifier');
  return Buffer.from(identifier.getStreamName_asU8()).toString('utf8');
}

function parseUuid(uuid: InstanceType<typeof sharedPb.UUID> | undefined): string {
  if (!uuid) throw new Error('proposed message without an id');
  if (uuid.hasString()) return uuid.getString();
  const structured = uuid.getStructured()!;
  const bytes = Buffer.alloc(16);
  bytes.writeBigInt64BE(BigInt(structured.getMostSignificantBits()), 0);
  bytes.writeBigInt64BE(BigInt(structured.getLeastSignificantBits()), 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function toReadResp(event: StoredEvent): ReadRespMessage {
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  const id = new sharedPb.UUID();
  id.setString(event.eventId);
  recorded.setId(id);
  const identifier = new sharedPb.StreamIdentifier();
  identifier.setStreamName(Buffer.from(event.streamId, 'utf8'));
  recorded.setStreamIdentifier(identifier);
  recorded.setStreamRevision(String(event.revision));
  recorded.setCommitPosition(String(event.logPosition));
  recorded.setPreparePosition(String(event.logPosition));
  recorded.getMetadataMap().set('type', event.type);
  recorded.getMetadataMap().set('content-type', event.contentType);
  recorded.getMetadataMap().set('created', event.createdTicks);
  recorded.setData(event.data);
  recorded.setCustomMetadata(event.customMetadata);
  const readEvent = new ReadResp.ReadEvent();
  readEvent.setEvent(recorded);
  readEvent.setCommitPosition(String(event.logPosition));
  const response = new ReadResp();
  response.setEvent(readEvent);
  return response;
}

/** The server's filter: on stream name or event type, by regular expression or prefixes. */
function eventFilter(options: FilterOptionsMessage | undefined): (event: StoredEvent) => boolean {
  if (!options) return () => true;
  const onStream = options.hasStreamIdentifier();
  const expression = onStream ? options.getStreamIdentifier() : options.getEventType();
  if (!expression) return () => true;
  const regex = expression.getRegex() ? new RegExp(expression.getRegex()) : null;
  const prefixes = expression.getPrefixList();
  return (event) => {
    const value = onStream ? event.streamId : event.type;
    if (regex && !regex.test(value)) return false;
    if (prefixes.length > 0 && !prefixes.some((prefix) => value.startsWith(prefix))) return false;
    return true;
  };
}

function fail(call: grpc.ServerWritableStream<ReadReqMessage, ReadRespMessage>, code: grpc.status, details: string): void {
  call.emit('error', { code, details });
}

/** A member the double's gossip lists: the client connects to the one its node preference picks. */
export interface ClusterMember {
  readonly port: number;
  readonly state: 'leader' | 'follower';
}

export interface EsdbDoubleOptions {
  /** The port to listen on; 0 picks a free one. */
  readonly port?: number;
  /** A log to serve, shared with another double as the nodes of a cluster share theirs. */
  readonly log?: DoubleLog;
}

/** The double's gRPC server on 127.0.0.1. `restart()` drops every connection and listens again on the same port. */
export class EsdbDouble {
  readonly log: DoubleLog;
  /**
   * When set, the double acts as a follower: a call that requires the leader (the client asks for
   * it with nodePreference=leader) is refused with the server's not-leader error naming this port.
   */
  leaderPort: number | null = null;
  /** Up to how long an append waits before it is committed, at random, so appends in flight can overtake each other. */
  appendJitterMs = 0;
  /** How many calls the double refused as a follower. */
  refusedAsFollower = 0;
  private server: grpc.Server | null = null;
  private readonly liveCalls = new Set<grpc.ServerWritableStream<ReadReqMessage, ReadRespMessage>>();
  private boundPort = 0;
  /** What Gossip.Read answers; by default the double alone, as leader. */
  clusterMembers: readonly ClusterMember[] | null = null;
  /** How many subscriptions to $all were opened, so a test can see that a client resubscribed. */
  subscriptionsOpened = 0;
  /** Round trips served, by kind: what a client's operation costs, counted where the network is. */
  readonly calls = { reads: 0, appends: 0 };

  private constructor(log: DoubleLog) {
    this.log = log;
  }

  static async start(options: EsdbDoubleOptions = {}): Promise<EsdbDouble> {
    const double = new EsdbDouble(options.log ?? new DoubleLog());
    await double.listen(options.port ?? 0);
    return double;
  }

  get port(): number {
    return this.boundPort;
  }

  get connectionString(): string {
    return `esdb://127.0.0.1:${this.boundPort}?tls=false`;
  }

  /** Ends every open call as a crashed server would, keeps the log, and listens again on the same port. */
  async restart(pauseMs = 0): Promise<void> {
    this.dropConnections();
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    await this.listen(this.boundPort);
  }

  async stop(): Promise<void> {
    this.dropConnections();
  }

  private dropConnections(): void {
    for (const call of this.liveCalls) call.destroy(new Error('server going down'));
    this.liveCalls.clear();
    this.server?.forceShutdown();
    this.server = null;
  }

  private async listen(port: number): Promise<void> {
    const server = new grpc.Server();
    // Only Read and Append: grpc-js answers the methods left out (Delete, Tombstone, BatchAppend)
    // with UNIMPLEMENTED, and the client never calls BatchAppend without server features.
    server.addService(streamsGrpc.StreamsService, {
      read: (call: grpc.ServerWritableStream<ReadReqMessage, ReadRespMessage>) => {
        this.calls.reads += 1;
        const refusal = this.notLeader(call.metadata);
        if (refusal) call.emit('error', refusal);
        else this.read(call);
      },
      append: (call: grpc.ServerReadableStream<AppendReqMessage, AppendRespMessage>, callback: grpc.sendUnaryData<AppendRespMessage>) => {
        this.calls.appends += 1;
        const refusal = this.notLeader(call.metadata);
        if (refusal) callback(refusal, null);
        else this.append(call, callback);
      },
    });
    server.addService(gossipGrpc.GossipService, {
      read: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<InstanceType<typeof gossipPb.ClusterInfo>>) =>
        callback(null, this.clusterInfo()),
    });
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    this.server = server;
  }

  /** The server's refusal of a leader-only call on a follower: NotFound with the leader's endpoint. */
  private notLeader(metadata: grpc.Metadata): Partial<grpc.StatusObject> | null {
    if (this.leaderPort === null || metadata.get('requires-leader')[0] !== 'true') return null;
    this.refusedAsFollower += 1;
    const trailers = new grpc.Metadata();
    trailers.set('exception', 'not-leader');
    trailers.set('leader-endpoint-host', '127.0.0.1');
    trailers.set('leader-endpoint-port', String(this.leaderPort));
    return { code: grpc.status.NOT_FOUND, details: 'Leader info available', metadata: trailers };
  }

  private clusterInfo(): InstanceType<typeof gossipPb.ClusterInfo> {
    const members = this.clusterMembers ?? [{ port: this.boundPort, state: 'leader' }];
    const info = new gossipPb.ClusterInfo();
    info.setMembersList(
      members.map((member) => {
        const endpoint = new gossipPb.EndPoint();
        endpoint.setAddress('127.0.0.1');
        endpoint.setPort(member.port);
        const instanceId = new sharedPb.UUID();
        instanceId.setString(randomUUID());
        const memberInfo = new gossipPb.MemberInfo();
        memberInfo.setInstanceId(instanceId);
        memberInfo.setTimeStamp(String(BigInt(Date.now()) * 10_000n));
        memberInfo.setState(member.state === 'leader' ? gossipPb.MemberInfo.VNodeState.LEADER : gossipPb.MemberInfo.VNodeState.FOLLOWER);
        memberInfo.setIsAlive(true);
        memberInfo.setHttpEndPoint(endpoint);
        return memberInfo;
      }),
    );
    return info;
  }

  private append(call: grpc.ServerReadableStream<AppendReqMessage, AppendRespMessage>, callback: grpc.sendUnaryData<AppendRespMessage>): void {
    let streamId: string | null = null;
    let expectation: Expectation = { kind: 'any' };
    const proposed: ProposedEvent[] = [];
    call.on('data', (request: AppendReqMessage) => {
      if (request.hasOptions()) {
        const options = request.getOptions()!;
        streamId = streamName(options.getStreamIdentifier());
        const Case = AppendReq.Options.ExpectedStreamRevisionCase;
        switch (options.getExpectedStreamRevisionCase()) {
          case Case.REVISION:
            expectation = { kind: 'revision', revision: Number(options.getRevision()) };
            break;
          case Case.NO_STREAM:
            expectation = { kind: 'no_stream' };
            break;
          case Case.STREAM_EXISTS:
            expectation = { kind: 'stream_exists' };
            break;
          default:
            expectation = { kind: 'any' };
        }
        return;
      }
      const message = request.getProposedMessage()!;
      proposed.push({
        eventId: parseUuid(message.getId()),
        type: message.getMetadataMap().get('type') ?? '',
        contentType: message.getMetadataMap().get('content-type') ?? 'application/octet-stream',
        data: message.getData_asU8(),
        customMetadata: message.getCustomMetadata_asU8(),
      });
    });
    call.on('end', () => {
      if (this.appendJitterMs > 0) setTimeout(commit, Math.random() * this.appendJitterMs);
      else commit();
    });
    const commit = () => {
      if (streamId === null) return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'append without options' }, null);
      const outcome = this.log.append(streamId, expectation, proposed);
      const response = new AppendResp();
      if ('written' in outcome) {
        const success = new AppendResp.Success();
        const last = outcome.written[outcome.written.length - 1];
        if (last) {
          success.setCurrentRevision(String(last.revision));
          const position = new AppendResp.Position();
          position.setCommitPosition(String(last.logPosition));
          position.setPreparePosition(String(last.logPosition));
          success.setPosition(position);
        } else {
          success.setNoStream(new sharedPb.Empty());
          success.setNoPosition(new sharedPb.Empty());
        }
        response.setSuccess(success);
      } else {
        const wrong = new AppendResp.WrongExpectedVersion();
        if (outcome.actual === 'no_stream') wrong.setCurrentNoStream(new sharedPb.Empty());
        else wrong.setCurrentRevision(String(outcome.actual));
        if (expectation.kind === 'revision') wrong.setExpectedRevision(String(expectation.revision));
        else if (expectation.kind === 'no_stream') wrong.setExpectedNoStream(new sharedPb.Empty());
        else if (expectation.kind === 'stream_exists') wrong.setExpectedStreamExists(new sharedPb.Empty());
        else wrong.setExpectedAny(new sharedPb.Empty());
        response.setWrongExpectedVersion(wrong);
      }
      callback(null, response);
    };
  }

  private read(call: grpc.ServerWritableStream<ReadReqMessage, ReadRespMessage>): void {
    const options = call.request.getOptions();
    if (!options) return fail(call, grpc.status.INVALID_ARGUMENT, 'read without options');
    const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    const countMax = options.hasSubscription() ? Number.MAX_SAFE_INTEGER : Number(options.getCount());
    if (options.hasStream()) {
      if (options.hasSubscription()) return fail(call, grpc.status.UNIMPLEMENTED, 'stream subscriptions are not in the double');
      return this.readStream(call, options.getStream()!, backwards, countMax);
    }
    const filter = eventFilter(options.hasFilter() ? options.getFilter() : undefined);
    const all = options.getAll()!;
    const from: LogPosition | 'start' | 'end' = all.hasPosition()
      ? { commit: BigInt(all.getPosition()!.getCommitPosition()), prepare: BigInt(all.getPosition()!.getPreparePosition()) }
      : all.hasEnd()
        ? 'end'
        : 'start';
    if (typeof from === 'object' && (from.commit !== from.prepare || !this.log.isRecordStart(from.prepare))) {
      return fail(call, grpc.status.UNKNOWN, `Invalid position: ${from.commit}/${from.prepare} is not the start of a record`);
    }
    if (options.hasSubscription()) return this.subscribeToAll(call, from, filter);
    const events = this.log.events;
    let selected: StoredEvent[];
    if (backwards) {
      const before = from === 'end' || from === 'start' ? events : events.filter((event) => compare(positionOf(event), from) < 0);
      selected = (from === 'start' ? [] : before).slice().reverse();
    } else {
      selected = from === 'end' ? [] : from === 'start' ? events.slice() : events.filter((event) => compare(positionOf(event), from) >= 0);
    }
    for (const event of selected.filter(filter).slice(0, countMax)) call.write(toReadResp(event));
    call.end();
  }

  private readStream(
    call: grpc.ServerWritableStream<ReadReqMessage, ReadRespMessage>,
    options: InstanceType<typeof ReadReq.Options.StreamOptions>,
    backwards: boolean,
    countMax: number,
  ): void {
    const streamId = streamName(options.getStreamIdentifier());
    const stream = this.log.stream(streamId);
    if (!stream) {
      const notFound = new ReadResp.StreamNotFound();
      const identifier = new sharedPb.StreamIdentifier();
      identifier.setStreamName(Buffer.from(streamId, 'utf8'));
      notFound.setStreamIdentifier(identifier);
      const response = new ReadResp();
      response.setStreamNotFound(notFound);
      call.write(response);
      call.end();
      return;
    }
    let selected: readonly StoredEvent[];
    if (backwards) {
      const from = options.hasEnd() ? stream.length - 1 : options.hasStart() ? 0 : Number(options.getRevision());
      selected = stream.slice(0, Math.min(from, stream.length - 1) + 1).reverse();
    } else {
      const from = options.hasEnd() ? stream.length : options.hasStart() ? 0 : Number(options.getRevision());
      selected = stream.slice(from);
    }
    for (const event of selected.slice(0, countMax)) call.write(toReadResp(event));
    call.end();
  }

  private subscribeToAll(
    call: grpc.ServerWritableStream<ReadReqMessage, ReadRespMessage>,
    from: LogPosition | 'start' | 'end',
    filter: (event: StoredEvent) => boolean,
  ): void {
    this.liveCalls.add(call);
    this.subscriptionsOpened += 1;
    const confirmation = new ReadResp.SubscriptionConfirmation();
    confirmation.setSubscriptionId(randomUUID());
    const confirmed = new ReadResp();
    confirmed.setConfirmation(confirmation);
    call.write(confirmed);
    // Catch-up and the switch to live happen in one turn of the event loop, so no append falls between.
    const catchUp = from === 'end' ? [] : from === 'start' ? this.log.events.slice() : this.log.events.filter((event) => compare(positionOf(event), from) > 0);
    for (const event of catchUp) if (filter(event)) call.write(toReadResp(event));
    // A filtered subscription reports how far it has searched, so a client can store a position
    // even when nothing matched; the server sends such checkpoints as it reads.
    const searched = catchUp[catchUp.length - 1];
    if (searched) {
      const checkpoint = new ReadResp.Checkpoint();
      checkpoint.setCommitPosition(String(searched.logPosition));
      checkpoint.setPreparePosition(String(searched.logPosition));
      const checkpointed = new ReadResp();
      checkpointed.setCheckpoint(checkpoint);
      call.write(checkpointed);
    }
    const caughtUp = new ReadResp();
    caughtUp.setCaughtUp(new ReadResp.CaughtUp());
    call.write(caughtUp);
    const unsubscribe = this.log.onAppend((event) => {
      if (filter(event)) call.write(toReadResp(event));
    });
    const end = () => {
      unsubscribe();
      this.liveCalls.delete(call);
    };
    call.on('cancelled', end);
    call.on('close', end);
    call.on('error', end);
  }
}
