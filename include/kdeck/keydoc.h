/* Prints the key reference (docs/keys.md) from the keymap. */
#ifndef KDECK_KEYDOC_H
#define KDECK_KEYDOC_H

#include <stdio.h>

void keydoc_print(FILE *out);

#endif
