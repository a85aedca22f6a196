// locklab command line (placeholder until system/ lands).
int main() { return 0; }
