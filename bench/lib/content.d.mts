export declare const SAVES_TREE: { workspaces: number; hws: number; names: string[] };
export declare function savesWorkspace(w: number): string;
export declare function savesFile(f: number, tree?: typeof SAVES_TREE): { workspace: string; student: string; rel: string; path: string };
export declare function content(f: number, seq: number): string;
export declare function parseMarker(body: string): { f: number; seq: number } | undefined;
