-- `*.drop` files have filetype `drop` (Neovim 0.8+).
vim.filetype.add({ extension = { drop = 'drop' } })
