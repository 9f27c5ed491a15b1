// Runs briefly and exits; with the agent loaded, the process must still exit on its own.
Console.WriteLine("host app ran");
Thread.Sleep(300);
return 0;
