-- wrk script for benches/http_load.sh: each request asks about a point drawn from a fixed
-- list of query points (jittered provider locations, one "lon lat" per line), so the load
-- lands where people actually search. Deterministic: a fixed seed per thread.
--
-- Usage: wrk ... -s benches/http_load.lua http://127.0.0.1:PORT -- POINTS MODE [K]
--   MODE nearest  GET /api/providers/nearest?lon=&lat=&k=K (K defaults to 10)
--   MODE bbox     GET /api/providers?bbox=… (a phone viewport, 0.012° × 0.020°, ≈1.1 km × 2.2 km)
--   MODE path     GET PATH given as the third argument (e.g. /healthz, a near-empty response)
--
-- done() prints one machine-readable line that the shell script parses:
--   RESULT requests=N duration_s=S rps=R p50_ms=… p90_ms=… p99_ms=… max_ms=… non2xx=N errors=N

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
  table.insert(threads, thread)
end

local points = {}
local mode = "nearest"
local k = "10"

function init(args)
  local path = args[1]
  mode = args[2] or "nearest"
  k = args[3] or "10"
  for line in io.lines(path) do
    local lon, lat = line:match("^(%S+)%s+(%S+)$")
    if lon then
      points[#points + 1] = { tonumber(lon), tonumber(lat) }
    end
  end
  if #points == 0 then
    error("no points in " .. tostring(path))
  end
  math.randomseed(1000 + (thread_id or 0))
end

-- Each point's request is formatted once, the first time it is drawn, and reused: wrk shares
-- the cores with the server, and formatting three numbers and a request in Lua for every
-- request cost wrk ~2 µs a nearest request more than a fixed path (measured 2026-12-02).
local requests = {}

local function build(p)
  if mode == "path" then
    return wrk.format("GET", k)
  elseif mode == "bbox" then
    return wrk.format("GET", string.format("/api/providers?bbox=%.6f,%.6f,%.6f,%.6f",
      p[1] - 0.006, p[2] - 0.010, p[1] + 0.006, p[2] + 0.010))
  end
  return wrk.format("GET", string.format("/api/providers/nearest?lon=%.6f&lat=%.6f&k=%s", p[1], p[2], k))
end

function request()
  local i = math.random(#points)
  local r = requests[i]
  if not r then
    r = build(points[i])
    requests[i] = r
  end
  return r
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d duration_s=%.2f rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
