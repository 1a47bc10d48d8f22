-- wrk script for the cold path of scripts/load.sh: each request carries the next of the distinct
-- tokens that benches/load/target.rs wrote to $TOKENS_FILE (line 1 is the reused token and is
-- skipped), round robin. Each wrk thread starts at a different offset.
local path = os.getenv("TOKENS_FILE")
local tokens = {}
local next_index = 0

local first = true
for line in io.lines(path) do
  if first then
    first = false
  elseif line ~= "" then
    tokens[#tokens + 1] = line
  end
end
if #tokens == 0 then
  error("no distinct tokens in " .. tostring(path) .. " (DISTINCT_TOKENS=0?)")
end

local thread_count = 0
function setup(thread)
  thread:set("offset", thread_count * 7919)
  thread_count = thread_count + 1
end

function init(args)
  next_index = (offset or 0) % #tokens
end

function request()
  next_index = next_index % #tokens + 1
  return wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. tokens[next_index] })
end
