// A program whose promise never settles and that leaves nothing running.
export = () => new Promise<void>(() => undefined);
