; Highlighting for `.drop` files, for Helix and Neovim alike: only the
; predicates both accept (#eq?, #not-eq?, #match?), capture names from the
; set both know (Neovim falls back along the dots: `@constant.numeric` is
; shown as `@constant`), and no two patterns capture the same node, so that
; Helix (first pattern wins) and Neovim (last pattern wins) agree.

(comment) @comment

; Keywords
[
  "collection"
  "trait"
  "forbid"
  "require"
  "when"
  "count"
  "unique"
  "legendary"
  "group"
  "art"
] @keyword

(trait_kind) @keyword.storage.modifier

[
  "with"
  "by"
  "at"
  "from"
  "hue"
  "palette"
  "blend"
  "opacity"
  "offset"
  "profiles"
  "folder"
  "below"
  "above"
  "visually"
] @keyword

; Settings
(setting key: (setting_key) @variable.other.member)
(setting_value (identifier) @constant)

; Collection and legendary names
(collection name: (_) @label)
(legendary name: (_) @label)

; Trait names, declared and referenced
(trait_decl name: (_) @type)
(placement trait: (_) @type)
(override_decl trait: (_) @type)
(variant_ref trait: (_) @type)
(unique_rule trait: (_) @type)
(attribute trait: (_) @type)
(when_art trait: (_) @type)

; Group names, declared and referenced
(group_decl name: (_) @constant)
(group_ref name: (_) @constant)

; Variant names, declared and referenced; `none` is the empty variant
((variant name: (identifier) @constant.builtin)
  (#eq? @constant.builtin "none"))
((variant name: (identifier) @constructor)
  (#not-eq? @constructor "none"))
(variant name: (string) @constructor)

((override_weight name: (identifier) @constant.builtin)
  (#eq? @constant.builtin "none"))
((override_weight name: (identifier) @constructor)
  (#not-eq? @constructor "none"))
(override_weight name: (string) @constructor)

((variant_ref variant: (identifier) @constant.builtin)
  (#eq? @constant.builtin "none"))
((variant_ref variant: (identifier) @constructor)
  (#not-eq? @constructor "none"))
(variant_ref variant: (string) @constructor)

(derived source: (_) @constructor)
(attribute value: (identifier) @constructor)
(attribute value: (string) @constructor)

; Values
(blend mode: (identifier) @constant)
(profiles policy: (identifier) @constant)
(weight (identifier) @constant)
(count_value (identifier) @constant)
(hue_shift (identifier) @constant)
(opacity (identifier) @constant)

[
  (number)
  (percentage)
  (dimension)
] @constant.numeric

(colour) @constant

(setting_value (string) @string)
(weight (string) @string)
(count_value (string) @string)
(hue_shift (string) @string)
(opacity (string) @string)
(art_part path: (string) @string.special.path)
(folder (string) @string.special.path)
(legendary image: (string) @string.special.path)

(escape_sequence) @constant.character.escape

; Operators and punctuation
[
  "->"
  "|"
  "="
  (comparison)
] @operator

[
  "{"
  "}"
  "<"
  ">"
  "["
  "]"
  "("
  ")"
] @punctuation.bracket

[
  ","
  ":"
  "."
] @punctuation.delimiter
