" Vim filetype detection for `.drop` files (dropc generative NFT collections).
autocmd BufRead,BufNewFile *.drop setfiletype drop
