import { LuaScript } from '#infra';

/**
 * The compare-and-set guard both transition scripts open with: -2 when the record (KEYS[1]) does not exist, 0 when
 * its status is not in the comma-separated ARGV[1], -1 when its revision is not ARGV[revArg] (a stale read).
 */
function guardStatusAndRev(revArg: number): string {
  return `local status = redis.call('HGET', KEYS[1], 'status')
if not status then return -2 end
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do
  if s == status then allowed = true end
end
if not allowed then return 0 end
if redis.call('HGET', KEYS[1], 'rev') ~= ARGV[${revArg}] then return -1 end`;
}

/**
 * Every state change of a batch is one of these scripts, so it is atomic. Events caused by a change are appended
 * to the batch's outbox inside the same script: an event is enqueued exactly once per change, and only if the
 * change happened.
 */

/**
 * Creates the batch unless its record exists. Only keys of the batch's own slot: the idempotency claim, the live
 * index and the outbox mark are written by BatchRepository around it (README, "Redis Cluster").
 * KEYS: record, requests, staging, essaysStaging, essays
 * ARGV: recordJson, status, requestHash, hasPrompt, prompt, then (small inline batches) the request JSONs
 *       themselves instead of a staging list
 * → 'created', 'existing' (same request_hash) or 'conflict'
 */
export const CREATE_SCRIPT = new LuaScript(`
local hash = redis.call('HGET', KEYS[1], 'request_hash')
if hash then
  redis.call('DEL', KEYS[3], KEYS[4])
  if hash == ARGV[3] then return 'existing' end
  return 'conflict'
end
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'status', ARGV[2], 'rev', '1', 'request_hash', ARGV[3],
  'succeeded', '0', 'failed', '0', 'cost', '0', 'icost', '0')
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'prompt', ARGV[5]) end
if #ARGV > 5 then
  redis.call('RPUSH', KEYS[2], unpack(ARGV, 6))
elseif redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('RENAME', KEYS[3], KEYS[2])
  redis.call('PERSIST', KEYS[2])
end
if redis.call('EXISTS', KEYS[4]) == 1 then
  redis.call('RENAME', KEYS[4], KEYS[5])
  redis.call('PERSIST', KEYS[5])
end
return 'created'
`);

/**
 * Removes a batch that lost its idempotency key to another (a duplicate nobody was told about), unless it has
 * moved on (its status is no longer the one it was created with: then it is not a discarded duplicate).
 * KEYS: record, requests, essays, staging, essaysStaging. ARGV: createdStatus, requestHash → 1 removed, 0 kept
 */
export const DISCARD_SCRIPT = new LuaScript(`
if redis.call('HGET', KEYS[1], 'request_hash') ~= ARGV[2] then return 0 end
if redis.call('HGET', KEYS[1], 'status') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'rev') ~= '1' then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
return 1
`);

/**
 * Compare-and-set of the record: applies only when the status is allowed AND nobody wrote since it was read.
 * KEYS: record, requests, results, essays, outbox
 * ARGV: allowedCsv, to, expectedRev, recordJson, terminal, retentionSeconds, batchId, eventCount, events...,
 *       terminalChannel (after the events)
 * → 1 applied, 0 status not allowed, -1 stale read (retry), -2 no such batch
 * A terminal transition PUBLISHes the batch id on terminalChannel in the same atomic step, so a waiter never
 * sees the notification before the status it announces. (The channel is an argument, not a key: PUBLISH reaches
 * every node of a cluster.)
 */
export const TRANSITION_SCRIPT = new LuaScript(`
${guardStatusAndRev(3)}
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'record', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'rev', 1)
local n = tonumber(ARGV[8])
for i = 1, n do redis.call('RPUSH', KEYS[5], ARGV[8 + i]) end
if ARGV[5] == '1' then
  local ttl = tonumber(ARGV[6])
  for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end
  redis.call('PUBLISH', ARGV[9 + n], ARGV[7])
end
return 1
`);

/**
 * An individual request's run takes its batch from queued to in_progress, and reads it, in one step: the status
 * and the start time are fields beside the record JSON (recordFromFields lays them over it), so no JSON is
 * rewritten here; the run's final write stores the full record. Sent with the lane's claim, before the run knows
 * it won the claim: a batch taken by a run that lost it stays in_progress until whoever holds the claim ends it.
 * KEYS: record; ARGV: submittedAt → {1 taken | 0 not queued, HGETALL flattened} ({} when there is no batch)
 */
export const TAKE_QUEUED_SCRIPT = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {0, {}} end
local took = 0
if status == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'in_progress', 'submitted_at', ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'rev', 1)
  took = 1
end
return {took, redis.call('HGETALL', KEYS[1])}
`);

/**
 * Undoes TAKE_QUEUED_SCRIPT when nothing happened since (its revision): the run's provider is paused, and the
 * request waits as queued. KEYS: record; ARGV: rev → 1 undone, 0 changed since
 */
export const UNTAKE_SCRIPT = new LuaScript(`
if redis.call('HGET', KEYS[1], 'status') ~= 'in_progress' or redis.call('HGET', KEYS[1], 'rev') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', 'queued')
redis.call('HDEL', KEYS[1], 'submitted_at')
redis.call('HINCRBY', KEYS[1], 'rev', 1)
return 1
`);

/**
 * The end of a one-comparison individual run in one atomic step: stores its result (with the result's event),
 * moves the batch to its terminal status (compare-and-set on the revision the run holds) and PUBLISHes on
 * terminalChannel the batch id followed by the record's fields and the result, so a held request answers from
 * the message without reading the batch again. Applies only when nobody wrote the record or stored the result
 * since the run read it; otherwise nothing is written and the caller takes the two-step path.
 * KEYS: record, requests, results, essays, outbox
 * ARGV: allowedCsv, expectedRev, index, storedJson, succeeded(1/0), cost, individualCost, resultEventJson|'',
 *       to, recordJson, retentionSeconds, batchId, terminalChannel
 * → 1 applied, 0 status not allowed, -1 stale (a write or a stored result since the read), -2 no such batch
 */
export const FINISH_WITH_RESULT_SCRIPT = new LuaScript(`
${guardStatusAndRev(2)}
if redis.call('HEXISTS', KEYS[3], ARGV[3]) == 1 then return -1 end
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
if ARGV[5] == '1' then
  redis.call('HINCRBY', KEYS[1], 'succeeded', 1)
else
  redis.call('HINCRBY', KEYS[1], 'failed', 1)
end
if ARGV[6] == 'null' then
  redis.call('HINCRBY', KEYS[1], 'unpriced', 1)
else
  redis.call('HINCRBYFLOAT', KEYS[1], 'cost', ARGV[6])
end
if ARGV[7] == 'null' then
  redis.call('HINCRBY', KEYS[1], 'iunpriced', 1)
else
  redis.call('HINCRBYFLOAT', KEYS[1], 'icost', ARGV[7])
end
if ARGV[8] ~= '' then redis.call('RPUSH', KEYS[5], ARGV[8]) end
redis.call('HSET', KEYS[1], 'status', ARGV[9], 'record', ARGV[10])
redis.call('HINCRBY', KEYS[1], 'rev', 1)
local ttl = tonumber(ARGV[11])
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end
local flat = redis.call('HGETALL', KEYS[1])
local fields = {}
for i = 1, #flat, 2 do
  if flat[i] ~= 'prompt' then fields[flat[i]] = flat[i + 1] end
end
redis.call('PUBLISH', ARGV[13], ARGV[12] .. ' ' .. cjson.encode({ fields = fields, results = { ARGV[4] } }))
return 1
`);

/**
 * Stores results once per input index; counts, costs and the result's event follow only a newly stored one.
 * KEYS: record, results, outbox
 * ARGV: batchId, itemCount, terminalCsv, then per item: index, storedJson, succeeded(1/0), cost, individualCost, eventJson|''
 * A cost of 'null' is unknown (an unpriced model): it is counted in `unpriced`/`iunpriced` instead of summed, so the
 * batch's total reads as unknown rather than as a sum that silently left it out.
 * → number newly stored, -2 no such batch, -3 batch already terminal
 */
export const STORE_RESULTS_SCRIPT = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return -2 end
for s in string.gmatch(ARGV[3], '[^,]+') do
  if s == status then return -3 end
end
local stored = 0
local n = tonumber(ARGV[2])
for i = 0, n - 1 do
  local b = 3 + i * 6
  if redis.call('HSETNX', KEYS[2], ARGV[b + 1], ARGV[b + 2]) == 1 then
    stored = stored + 1
    if ARGV[b + 3] == '1' then
      redis.call('HINCRBY', KEYS[1], 'succeeded', 1)
    else
      redis.call('HINCRBY', KEYS[1], 'failed', 1)
    end
    if ARGV[b + 4] == 'null' then
      redis.call('HINCRBY', KEYS[1], 'unpriced', 1)
    else
      redis.call('HINCRBYFLOAT', KEYS[1], 'cost', ARGV[b + 4])
    end
    if ARGV[b + 5] == 'null' then
      redis.call('HINCRBY', KEYS[1], 'iunpriced', 1)
    else
      redis.call('HINCRBYFLOAT', KEYS[1], 'icost', ARGV[b + 5])
    end
    if ARGV[b + 6] ~= '' then redis.call('RPUSH', KEYS[3], ARGV[b + 6]) end
  end
end
return stored
`);

/**
 * KEYS: record. ARGV: terminalCsv → 1 requested, 0 already terminal, -2 no such batch
 */
export const REQUEST_CANCEL_SCRIPT = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return -2 end
for s in string.gmatch(ARGV[1], '[^,]+') do
  if s == status then return 0 end
end
redis.call('HSET', KEYS[1], 'cancel', '1')
return 1
`);

/**
 * Takes a batch's drain lock with a fresh fencing token and, when it was free, reads the head of the outbox in the
 * same step (one round trip where a lock and a peek took two).
 * KEYS: lock, outbox. ARGV: token, ttlMs, max → the oldest `max` entries (maybe none), or nil when the lock is held
 */
export const OUTBOX_LOCK_AND_PEEK_SCRIPT = new LuaScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]), 'NX') then return false end
return redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[3]) - 1)
`);

/**
 * Removes the published head of the outbox, by identity: only while the caller still holds the lock (its fencing
 * token) and only when the head still starts and ends with the exact entries it published. A drain that
 * outlived its lock therefore never trims events another worker has not sent. An outbox left empty ends the
 * drain, so the lock is released in the same step. (The caller clears the pending mark when nothing is left: the
 * mark is another slot's key.)
 * KEYS: outbox, lock. ARGV: token, count, firstEntry, lastEntry
 * → remaining length (0: the lock was released too), -1 lock lost, -2 head changed
 */
export const OUTBOX_ACK_SCRIPT = new LuaScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
local n = tonumber(ARGV[2])
if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[3] or redis.call('LINDEX', KEYS[1], n - 1) ~= ARGV[4] then
  return -2
end
redis.call('LTRIM', KEYS[1], n, -1)
local left = redis.call('LLEN', KEYS[1])
if left == 0 then redis.call('DEL', KEYS[2]) end
return left
`);

/**
 * Moves the head entry of the outbox to the dead-letter list (same fencing and identity checks as the ack, and
 * like it releases the lock when the outbox is left empty).
 * KEYS: outbox, lock, deadLetter. ARGV: token, headEntry, deadLetterJson, retentionSeconds
 * → remaining length (0: the lock was released too), -1 lock lost, -2 head changed
 */
export const OUTBOX_DEAD_LETTER_SCRIPT = new LuaScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[2] then return -2 end
redis.call('LPOP', KEYS[1])
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[4]))
local left = redis.call('LLEN', KEYS[1])
if left == 0 then redis.call('DEL', KEYS[2]) end
return left
`);

/** KEYS: lock. ARGV: token, ttlMs → 1 renewed, 0 lost */
export const RENEW_LOCK_SCRIPT = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
return 0
`);

/** KEYS: lock. ARGV: owner → 1 released, 0 held by another owner */
export const RELEASE_LOCK_SCRIPT = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/**
 * The idempotency claim (a key of its own slot): takes it for ARGV[1] when free, or when it names ARGV[2] (a
 * claim whose batch no longer exists: expired, or its expiry was lost).
 * KEYS: claim. ARGV: batchId, staleBatchId|'' → the batch id the claim names afterwards
 */
export const CLAIM_SCRIPT = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if (not current) or (ARGV[2] ~= '' and current == ARGV[2]) then
  redis.call('SET', KEYS[1], ARGV[1])
  return ARGV[1]
end
return current
`);

/** KEYS: claim. ARGV: batchId, ttlSeconds → sets the claim's expiry if it still names the batch (1), else 0 */
export const EXPIRE_CLAIM_SCRIPT = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
`);
