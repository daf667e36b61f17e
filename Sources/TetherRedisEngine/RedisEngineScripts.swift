import TetherRedis

/// The engine's Lua scripts. Each runs atomically on the server (one round trip, EVALSHA) and reads the
/// time from Redis (`TIME`), so every node agrees on expiries whatever their own clocks say.
enum RedisEngineScripts {
    private static let now = """
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        """

    /// Reads the channel's epoch and offset, starting a new epoch (and dropping a stale stream) when the
    /// metadata is gone; keeps the metadata alive for `metaTTL`.
    private static func loadMeta(epoch: String, metaTTL: String) -> String {
        """
        local epoch = redis.call('HGET', KEYS[1], 'epoch')
        local offset = 0
        if not epoch then
          epoch = \(epoch)
          redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', 0)
          redis.call('DEL', KEYS[2])
        else
          offset = tonumber(redis.call('HGET', KEYS[1], 'offset'))
        end
        redis.call('PEXPIRE', KEYS[1], \(metaTTL))
        """
    }

    /// KEYS: meta, stream[, idempotency key]. ARGV: events channel, payload, history size, history TTL ms,
    /// meta TTL ms, idempotency window ms, epoch candidate, PUBLISH or SPUBLISH.
    /// Returns {duplicate (0/1), epoch, offset[, fan-out sent (0/1)]}.
    static let publish = RedisScript("""
        if #KEYS == 3 then
          local seen = redis.call('GET', KEYS[3])
          if seen then
            local e, o = string.match(seen, '^(.*):(%d+)$')
            return {1, e, tonumber(o)}
          end
        end
        \(now)
        \(loadMeta(epoch: "ARGV[7]", metaTTL: "ARGV[5]"))
        offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
        local size = tonumber(ARGV[3])
        if size > 0 then
          redis.call('XADD', KEYS[2], 'MAXLEN', size, offset .. '-0', 't', now, 'p', ARGV[2])
          redis.call('PEXPIRE', KEYS[2], ARGV[4])
          -- Drop up to 100 entries older than the history TTL from the head, so reads never wade through
          -- a backlog of expired ones (each publish trims at least as fast as entries expire).
          local cutoff = now - tonumber(ARGV[4])
          local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 100)
          local firstLive = nil
          local lastExpired = nil
          for _, entry in ipairs(head) do
            local fields = entry[2]
            local t = nil
            for i = 1, #fields, 2 do
              if fields[i] == 't' then t = tonumber(fields[i + 1]) end
            end
            if t and t > cutoff then firstLive = entry[1] break end
            lastExpired = entry[1]
          end
          if lastExpired then
            local minimum = firstLive or ((tonumber(string.match(lastExpired, '^(%d+)')) + 1) .. '-0')
            redis.call('XTRIM', KEYS[2], 'MINID', minimum)
          end
        end
        -- Fan-out last, and never fatal: the publication is in history with its offset either way, and
        -- subscribers that miss it live get it announced as a gap and read it from history.
        local sent = redis.pcall(ARGV[8], ARGV[1], 'p' .. epoch .. ' ' .. offset .. ' ' .. ARGV[2])
        local fanout = 1
        if type(sent) == 'table' and sent.err then fanout = 0 end
        if #KEYS == 3 then
          redis.call('SET', KEYS[3], epoch .. ':' .. offset, 'PX', ARGV[6])
        end
        return {0, epoch, offset, fanout}
        """)

    /// KEYS: meta, stream. ARGV: after offset ('' for the oldest held), limit, history TTL ms, meta TTL ms,
    /// epoch candidate. Returns {epoch, offset, {id, payload, id, payload, …}}: held entries after `after`
    /// that are younger than the history TTL, oldest first, at most `limit`.
    static let history = RedisScript("""
        \(now)
        \(loadMeta(epoch: "ARGV[5]", metaTTL: "ARGV[4]"))
        local limit = tonumber(ARGV[2])
        local out = {}
        if limit == 0 then return {epoch, offset, out} end
        local cutoff = now - tonumber(ARGV[3])
        local cursor = '-'
        if ARGV[1] ~= '' then cursor = '(' .. ARGV[1] .. '-0' end
        local taken = 0
        while taken < limit do
          local batch = redis.call('XRANGE', KEYS[2], cursor, '+', 'COUNT', limit - taken)
          if #batch == 0 then break end
          for _, entry in ipairs(batch) do
            local fields = entry[2]
            local t, p
            for i = 1, #fields, 2 do
              if fields[i] == 't' then t = tonumber(fields[i + 1]) elseif fields[i] == 'p' then p = fields[i + 1] end
            end
            if t and p and t > cutoff then
              out[#out + 1] = entry[1]
              out[#out + 1] = p
              taken = taken + 1
            end
          end
          cursor = '(' .. batch[#batch][1]
        end
        return {epoch, offset, out}
        """)

    /// KEYS: meta, stream. ARGV: after offset, limit. Read-only: returns {epoch or false, offset,
    /// {id, payload, …}} with at most `limit` held entries after `after`, oldest first, whatever their age.
    /// For a broker catching up after its pub/sub connection came back.
    static let catchUp = RedisScript("""
        local epoch = redis.call('HGET', KEYS[1], 'epoch')
        if not epoch then return {false, 0, {}} end
        local offset = tonumber(redis.call('HGET', KEYS[1], 'offset'))
        local out = {}
        if tonumber(ARGV[2]) == 0 then return {epoch, offset, out} end
        local batch = redis.call('XRANGE', KEYS[2], '(' .. ARGV[1] .. '-0', '+', 'COUNT', ARGV[2])
        for _, entry in ipairs(batch) do
          local fields = entry[2]
          for i = 1, #fields, 2 do
            if fields[i] == 'p' then
              out[#out + 1] = entry[1]
              out[#out + 1] = fields[i + 1]
            end
          end
        end
        return {epoch, offset, out}
        """)

    /// KEYS: presence, leases. ARGV: client, info JSON, lease ms, key TTL ms. Returns 1 if the client was
    /// not present (absent or its lease had run out).
    static let presenceAdd = RedisScript("""
        \(now)
        local lease = redis.call('ZSCORE', KEYS[2], ARGV[1])
        local fresh = (not lease) or tonumber(lease) <= now
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        redis.call('PEXPIRE', KEYS[2], ARGV[4])
        if fresh then return 1 end
        return 0
        """)

    /// KEYS: presence, leases. ARGV: lease ms, key TTL ms, client… Extends the leases still running.
    static let presenceRenew = RedisScript("""
        \(now)
        local renewed = 0
        for i = 3, #ARGV do
          local lease = redis.call('ZSCORE', KEYS[2], ARGV[i])
          if lease and tonumber(lease) > now then
            redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), ARGV[i])
            renewed = renewed + 1
          end
        end
        if renewed > 0 then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          redis.call('PEXPIRE', KEYS[2], ARGV[2])
        end
        return renewed
        """)

    /// KEYS: presence, leases. ARGV: client. Returns 1 if it was present (lease still running).
    static let presenceRemove = RedisScript("""
        \(now)
        local lease = redis.call('ZSCORE', KEYS[2], ARGV[1])
        redis.call('HDEL', KEYS[1], ARGV[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        if lease and tonumber(lease) > now then return 1 end
        return 0
        """)

    /// KEYS: presence, leases. Returns the info JSON of every client whose lease is running.
    static let presenceList = RedisScript("""
        \(now)
        local clients = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf')
        local out = {}
        -- HMGET in chunks: Lua's unpack has a limit of a few thousand values.
        for start = 1, #clients, 500 do
          local chunk = {}
          for i = start, math.min(start + 499, #clients) do chunk[#chunk + 1] = clients[i] end
          local infos = redis.call('HMGET', KEYS[1], unpack(chunk))
          for i = 1, #chunk do
            if infos[i] then out[#out + 1] = infos[i] end
          end
        end
        return out
        """)

    /// KEYS: presence, leases. Removes the clients whose lease ran out and returns their info JSON; atomic,
    /// so each expired entry goes to exactly one caller.
    static let presenceExpire = RedisScript("""
        \(now)
        local clients = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
        local out = {}
        for _, client in ipairs(clients) do
          local info = redis.call('HGET', KEYS[1], client)
          redis.call('HDEL', KEYS[1], client)
          redis.call('ZREM', KEYS[2], client)
          if info then out[#out + 1] = info end
        end
        return out
        """)

    /// KEYS: nodes, node leases. ARGV: name, info JSON, ttl ms.
    static let nodeHeartbeat = RedisScript("""
        \(now)
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
        return 1
        """)

    /// KEYS: nodes, node leases. Drops nodes whose heartbeat ran out; returns the others' info JSON.
    static let nodeList = RedisScript("""
        \(now)
        local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
        for _, name in ipairs(gone) do
          redis.call('HDEL', KEYS[1], name)
          redis.call('ZREM', KEYS[2], name)
        end
        return redis.call('HVALS', KEYS[1])
        """)
}
