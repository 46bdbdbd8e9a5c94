-- wrk: the full 12-month save, POST /goals/<year>/ with all 24 fields and the
-- CSRF token (the Cookie header comes from -H). Every request's values differ
-- from every other's (bench/common.py save_body builds the same body), so no
-- save is a no-op: each one upserts 12 months and records 24 changes.
-- Arguments after --: path, CSRF token, first number, number of threads.
dofile("wrk_report.lua")

local path, token, base, stride
local counter = 0

function init(args)
  path, token, base, stride = args[1], args[2], tonumber(args[3]), tonumber(args[4])
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  counter = counter + 1
  -- id (0, 1, …) is set per thread by setup() in wrk_report.lua.
  local n = base + counter * stride + id
  local parts = { "action=save", "csrfmiddlewaretoken=" .. token }
  for month = 1, 12 do
    local value = n * 12 + month
    local rate = value % 9999 + 1
    parts[#parts + 1] = string.format("cv_count_%d=%d", month, value)
    parts[#parts + 1] = string.format(
      "cv_rate_%d=%d.%02d", month, math.floor(rate / 100), rate % 100)
  end
  return wrk.format("POST", path, nil, table.concat(parts, "&"))
end
