// Deterministic file contents shared by the tree builder, the writer process and the analysis: the content of
// file `f` at save `seq` can be regenerated from the two numbers, so a record body can be matched to the exact
// save that produced it (and a torn read shows up as a body that matches nothing).
// Plain JS so the writer runs on bare Node without tsx.

/** Saves tree: 300 workspaces × 10 hw dirs × 3 files. */
export const SAVES_TREE = { workspaces: 300, hws: 10, names: ['main.c', 'util.c', 'util.h'] };

export function savesWorkspace(w) {
  return `os-1-${202000000 + w}`;
}

/** Relative path (from the root) and workspace-relative path of file index f of the saves tree. */
export function savesFile(f, tree = SAVES_TREE) {
  const per = tree.hws * tree.names.length;
  const w = Math.floor(f / per);
  const r = f % per;
  const h = Math.floor(r / tree.names.length);
  const rel = `hw${h + 1}/${tree.names[r % tree.names.length]}`;
  return { workspace: savesWorkspace(w), student: String(202000000 + w), rel, path: `${savesWorkspace(w)}/${rel}` };
}

const BODY = (() => {
  // ~1.2 KB of plausible C: a small linked-list exercise.
  const lines = [
    '#include <stdio.h>', '#include <stdlib.h>', '#include <string.h>', '',
    'typedef struct node {', '    int value;', '    struct node *next;', '} node_t;', '',
    'static node_t *push(node_t *head, int value) {', '    node_t *n = malloc(sizeof *n);',
    '    if (n == NULL) {', '        perror("malloc");', '        exit(1);', '    }',
    '    n->value = value;', '    n->next = head;', '    return n;', '}', '',
    'static int sum(const node_t *head) {', '    int s = 0;', '    for (; head != NULL; head = head->next) s += head->value;',
    '    return s;', '}', '',
    'static node_t *reverse(node_t *head) {', '    node_t *prev = NULL;', '    while (head != NULL) {',
    '        node_t *next = head->next;', '        head->next = prev;', '        prev = head;', '        head = next;',
    '    }', '    return prev;', '}', '',
    'static void print_list(const node_t *head) {', '    printf("[");', '    for (; head != NULL; head = head->next) {',
    '        printf("%d%s", head->value, head->next ? ", " : "");', '    }', '    printf("]\\n");', '}', '',
    'static void free_list(node_t *head) {', '    while (head != NULL) {', '        node_t *next = head->next;',
    '        free(head);', '        head = next;', '    }', '}', '',
  ];
  return lines.join('\n') + '\n';
})();

/** The content of file f after save seq (seq 0 = the tree as created). ~1.4 KB, unique per (f, seq). */
export function content(f, seq) {
  return `/* jcw-bench f=${f} seq=${seq} */\n${BODY}int main(int argc, char **argv) {\n    node_t *list = NULL;\n`
    + `    int n = argc > 1 ? atoi(argv[1]) : ${(seq % 97) + 3};\n    for (int i = 0; i < n; i++) list = push(list, i * ${f % 13 + 1});\n`
    + `    list = reverse(list);\n    print_list(list);\n    printf("sum=%d version=${seq}\\n", sum(list));\n    free_list(list);\n    return 0;\n}\n`;
}

const MARK = /^\/\* jcw-bench f=(\d+) seq=(\d+) \*\//;

/** Parse the marker of a body; undefined if it has none. */
export function parseMarker(body) {
  const m = MARK.exec(body);
  return m ? { f: Number(m[1]), seq: Number(m[2]) } : undefined;
}
