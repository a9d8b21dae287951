-- Neovim 0.11+: the `drop` language server (`dropc lsp`).
-- With this folder on 'runtimepath', enable it in init.lua:
--     vim.lsp.enable('drop')
-- Diagnostics as you type, hover (K), completion, go to definition,
-- references, rename (grn) and formatting (vim.lsp.buf.format()).
return {
  cmd = { 'dropc', 'lsp' },
  filetypes = { 'drop' },
  root_markers = { '.git' },
}
