-- wrk: a live recompute as typing sends it. Every request carries a new value
-- in one input (the first value counted up), the other inputs as they were
-- (bench/common.py KEYSTROKES names the input; keystroke() builds the same
-- query in Python). Building each request here costs wrk no more than
-- /healthz's fixed one (measured: the same requests/s either way).
-- Arguments after --: path, input name, first value, the rest of the query,
-- number of threads, method (GET: the query in the URL; POST: as the body,
-- with the Content-Type and X-CSRFToken headers bench/run.py gives wrk).
dofile("wrk_report.lua")

local path, field, first, rest, stride, method
local counter = 0

function init(args)
  path, field, first, rest = args[1], args[2], tonumber(args[3]), args[4]
  stride = tonumber(args[5])
  method = args[6] or "GET"
end

function request()
  counter = counter + 1
  -- id (0, 1, …) is set per thread by setup() in wrk_report.lua: the
  -- threads never send the same value.
  local value = first + counter * stride + id
  local query = string.format("%s=%d&%s", field, value, rest)
  if method == "POST" then
    return wrk.format("POST", path, nil, query)
  end
  return wrk.format(nil, path .. "?" .. query)
end
