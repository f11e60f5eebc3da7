/** Where the Runs view keeps the other branches the user chose (workspace state). */
export const RUN_BRANCHES_KEY = 'cairn.runBranches';
