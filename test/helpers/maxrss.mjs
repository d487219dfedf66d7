// Preloaded (`node --import`) into a child whose peak memory a test checks: prints the peak RSS at exit.
process.on('exit', () => process.stderr.write(`\nmaxrss_kb=${process.resourceUsage().maxRSS}\n`));
