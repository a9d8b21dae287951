-- Headless check of the Neovim set-up; tests/editors.rs runs it as
--   nvim --headless -u NONE -i NONE -c 'luafile check.lua'
-- Environment: DROPC_NVIM_RUNTIME (editors/neovim), DROPC_NVIM_SERVER (the
-- dropc binary), DROPC_NVIM_FILE (a .drop file naming an unknown variant),
-- DROPC_NVIM_RESULT (where to write "OK ..." or "FAIL ...").
--
-- It puts editors/neovim on the runtime path, opens the file, and checks
-- that ftdetect/drop.lua gave it the filetype `drop`; then starts the
-- server from lsp/drop.lua (with `vim.lsp.enable('drop')` on Neovim 0.11+,
-- with the same table through `vim.lsp.start_client` on older versions) and
-- waits for its diagnostics and a hover answer.

local result_path = assert(os.getenv('DROPC_NVIM_RESULT'))

local function finish(ok, message)
  local f = assert(io.open(result_path, 'w'))
  f:write((ok and 'OK ' or 'FAIL ') .. message .. '\n')
  f:close()
  vim.cmd(ok and 'qall!' or 'cquit! 1')
end

local ok, err = pcall(function()
  local runtime = assert(os.getenv('DROPC_NVIM_RUNTIME'))
  local server = assert(os.getenv('DROPC_NVIM_SERVER'))
  local file = assert(os.getenv('DROPC_NVIM_FILE'))
  local version = vim.version()
  local label = string.format('nvim %d.%d.%d', version.major, version.minor, version.patch)

  -- Before Neovim 0.8, filetype.lua (and so vim.filetype.add) is opt-in.
  vim.g.do_filetype_lua = 1
  vim.opt.runtimepath:prepend(runtime)
  vim.cmd('filetype on')
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  if vim.bo.filetype ~= 'drop' then
    return finish(false, label .. ': filetype is `' .. vim.bo.filetype .. '`, not `drop`')
  end

  local config = dofile(runtime .. '/lsp/drop.lua')
  if config.cmd[1] ~= 'dropc' or config.cmd[2] ~= 'lsp' then
    return finish(false, label .. ': lsp/drop.lua does not run `dropc lsp`')
  end
  if not vim.tbl_contains(config.filetypes, 'drop') then
    return finish(false, label .. ': lsp/drop.lua does not list the filetype `drop`')
  end
  local cmd = { server, 'lsp' }
  local how
  if vim.lsp.enable and vim.lsp.config then
    vim.lsp.config('drop', { cmd = cmd })
    vim.lsp.enable('drop')
    -- Enabling attaches to buffers whose filetype is set afterwards.
    vim.cmd('doautocmd FileType')
    how = 'vim.lsp.enable'
  else
    local client = vim.lsp.start_client({
      name = 'drop',
      cmd = cmd,
      root_dir = vim.fn.fnamemodify(file, ':h'),
    })
    if not client then
      return finish(false, label .. ': the server did not start')
    end
    vim.lsp.buf_attach_client(0, client)
    how = 'vim.lsp.start_client'
  end

  local function code_of(d)
    return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
  end
  local found
  vim.wait(15000, function()
    for _, d in ipairs(vim.diagnostic.get(0)) do
      if code_of(d) == 'drop::unknown_variant' then
        found = d
        return true
      end
    end
    return false
  end, 50)
  if not found then
    local seen = {}
    for _, d in ipairs(vim.diagnostic.get(0)) do
      table.insert(seen, tostring(code_of(d)))
    end
    return finish(false, label .. ': no `drop::unknown_variant` within 15 s (' .. how .. '); got: ' .. table.concat(seen, ', '))
  end
  local d, code = found, code_of(found)

  -- Hover on the first variant of the first one-line trait.
  local row, col
  for i, line in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
    local s = line:find('< %a')
    if line:find('^trait ') and s then
      row, col = i - 1, s + 1
      break
    end
  end
  if not row then
    return finish(false, label .. ': the file has no one-line trait to hover')
  end
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(0) },
    position = { line = row, character = col },
  }
  local answers = vim.lsp.buf_request_sync(0, 'textDocument/hover', params, 10000) or {}
  local hover
  for _, answer in pairs(answers) do
    if answer.result and answer.result.contents then
      hover = answer.result.contents.value or vim.inspect(answer.result.contents)
    end
  end
  if not hover or not hover:find('declared share', 1, true) then
    return finish(false, label .. ': hover gave no shares: ' .. tostring(hover))
  end
  finish(true, string.format('%s (%s): filetype drop, diagnostic %s at line %d, hover %d bytes',
    label, how, code, d.lnum + 1, #hover))
end)
if not ok then
  finish(false, 'error: ' .. tostring(err))
end
