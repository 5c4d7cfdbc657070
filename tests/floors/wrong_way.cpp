// Built only by the test FloorsRefuseAWrongWayInclude: a layer reaching up into the model.
// The layers floor does not see the model's headers, so this must not compile.
#include "model/network.hpp"
int main() { return 0; }
