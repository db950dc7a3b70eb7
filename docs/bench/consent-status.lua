-- wrk script for POST /api/v1/consent-status (docs/bench/pages.sh): each
-- request takes the next token of the file $TOKENS, so that no token reaches
-- its limit of 1,200 calls a minute; the body asks about $EMAIL.
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
local body = '{"email":"' .. os.getenv("EMAIL") .. '"}'
local i = math.random(#tokens)
request = function()
  i = i % #tokens + 1
  return wrk.format("POST", "/api/v1/consent-status",
    { ["Authorization"] = "Bearer " .. tokens[i], ["Content-Type"] = "application/json" }, body)
end
