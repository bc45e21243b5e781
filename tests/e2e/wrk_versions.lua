-- wrk_versions.lua: wrk script for the blue/green proof (tests/e2e/rollout_proof.sh).
-- Counts, over all threads, responses by status class and by version (the second word of podapp's
-- answer to /: "<app> <version> <pod> ..."), and prints one machine-readable line at the end:
--   WRK-RESULT requests=N non2xx=N connect=N read=N write=N timeout=N versions=v1:N,v2:N
-- wrk's own "Non-2xx or 3xx" count lets 3xx through; here anything outside 200-299 is counted.
-- WRK_DELAY_MS (environment) paces each connection: that many ms between its requests, so the load
-- is steady but leaves CPU to the rollout being proven (0 or unset: as fast as possible).

local pause_ms = tonumber(os.getenv("WRK_DELAY_MS") or "0") or 0

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    non2xx = 0
    versions = {}
end

if pause_ms > 0 then
    function delay()
        return pause_ms
    end
end

function response(status, headers, body)
    if status < 200 or status > 299 then
        non2xx = non2xx + 1
    end
    local v = string.match(body or "", "^%S+%s+(%S+)") or "?"
    versions[v] = (versions[v] or 0) + 1
end

function done(summary, latency, requests)
    local bad, seen = 0, {}
    for _, t in ipairs(threads) do
        bad = bad + t:get("non2xx")
        for v, n in pairs(t:get("versions")) do
            seen[v] = (seen[v] or 0) + n
        end
    end
    local names = {}
    for v, _ in pairs(seen) do table.insert(names, v) end
    table.sort(names)
    local parts = {}
    for _, v in ipairs(names) do table.insert(parts, v .. ":" .. seen[v]) end
    local e = summary.errors
    io.write(string.format("WRK-RESULT requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d versions=%s\n",
        summary.requests, bad, e.connect, e.read, e.write, e.timeout, table.concat(parts, ",")))
end
