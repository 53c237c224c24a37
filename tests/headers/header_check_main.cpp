// Links the one-header translation units; building them is the check.
int main() {
    return 0;
}
