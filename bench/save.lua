-- A section save that stays valid for the whole run.
-- Every save bumps the submission's version, and a POST with an older version is a conflict
-- (409). So each request carries the version the server expects now: the pool file has one
-- patient per line ("cookie<TAB>form body with {version}<TAB>version shown on the page"),
-- each thread owns every n-th line and walks its lines in turn; on the k-th pass over its
-- lines a patient's version is the page's version + k. The status mix is printed at the end,
-- so a drift (a 409) would show rather than hide.

counter = 0
entries = {}
counts = {}
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == id then
      local cookie, body, version = line:match("^([^\t]*)\t([^\t]*)\t(%d+)$")
      table.insert(entries, {cookie = cookie, body = body, version = tonumber(version)})
    end
    i = i + 1
  end
end

function request()
  local n = #entries
  local entry = entries[(counter % n) + 1]
  local pass = math.floor(counter / n)
  counter = counter + 1
  local body = entry.body:gsub("{version}", tostring(entry.version + pass))
  return wrk.format("POST", wrk.path, {
    ["Cookie"] = entry.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do
      total[status] = (total[status] or 0) + n
    end
  end
  io.write("STATUS")
  for status, n in pairs(total) do
    io.write(string.format(" %d=%d", status, n))
  end
  io.write("\n")
end
