// Runs until its standard input closes (at once when there is none), then exits; with the agent loaded, the process
// must still exit on its own.
Console.WriteLine("host app ran");
Console.In.ReadToEnd();
return 0;
